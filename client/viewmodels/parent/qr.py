"""A pairing code as a QR image, made here (no network): ``qrcode`` builds the matrix and a small
PNG writer turns it into bytes for ``ft.Image`` (no imaging library needed)."""

from __future__ import annotations

import struct
import zlib

import qrcode

__all__ = ["qr_matrix", "qr_png"]


def qr_matrix(text: str, border: int = 2) -> list[list[bool]]:
    code = qrcode.QRCode(border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def qr_png(text: str, scale: int = 8, border: int = 2) -> bytes:
    """An 8-bit greyscale PNG of ``text``'s QR code, ``scale`` pixels per module."""
    matrix = qr_matrix(text, border)
    size = len(matrix) * scale
    rows = bytearray()
    for row in matrix:
        line = b"\x00" + b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)  # filter 0
        rows += line * scale
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
