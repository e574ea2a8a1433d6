"""The pairing code's QR image is the QR matrix, pixel for pixel (decoded here with the stdlib)."""

from __future__ import annotations

import struct
import zlib

from client.viewmodels.parent.qr import qr_matrix, qr_png


def test_the_png_shows_exactly_the_qr_matrix() -> None:
    code, scale = "K7QF-9XWM-2RTA", 4
    png = qr_png(code, scale=scale)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    matrix = qr_matrix(code)
    assert width == height == len(matrix) * scale and (depth, colour) == (8, 0)  # 8-bit grey
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    rows = zlib.decompress(png[41 : 41 + idat_len])
    stride = width + 1
    for y, row in enumerate(matrix):
        line = rows[(y * scale + scale // 2) * stride : (y * scale + scale // 2 + 1) * stride]
        assert line[0] == 0  # no filter
        assert [line[1 + x * scale + scale // 2] == 0 for x in range(len(row))] == row
    assert any(any(r) for r in matrix) and not all(all(r) for r in matrix)
