"""How wide a text is in a TrueType font, from the font's own tables (stdlib only).

The browser tests measure whether a label fits the box Flutter laid out for it; Flutter draws with
the TTF the app ships, so its advance widths (``hmtx``, through ``cmap``) give the text's width.
Kerning is left out: it moves Hangul and Latin text by a pixel or so, far below the margins tested.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

__all__ = ["Font"]


class Font:
    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        count = struct.unpack(">H", data[4:6])[0]
        tables = {}
        for i in range(count):
            tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
            tables[tag.decode()] = data[offset : offset + length]
        self.units = struct.unpack(">H", tables["head"][18:20])[0]
        metrics = struct.unpack(">H", tables["hhea"][34:36])[0]
        hmtx = tables["hmtx"]
        self.advances = [struct.unpack(">H", hmtx[4 * i : 4 * i + 2])[0] for i in range(metrics)]
        self.glyphs = _cmap_format4(tables["cmap"])

    def width(self, text: str, size: float) -> float:
        """Pixels ``text`` takes at ``size`` px (a missing glyph counts as glyph 0, like a renderer)."""
        units = 0
        for ch in text:
            glyph = self.glyphs.get(ord(ch), 0)
            units += self.advances[min(glyph, len(self.advances) - 1)]
        return units * size / self.units

    @staticmethod
    @cache
    def load(path: Path) -> Font:
        return Font(path)


def _cmap_format4(cmap: bytes) -> dict[int, int]:
    """Code point → glyph from the Unicode BMP subtable (format 4), which covers Hangul and Latin."""
    n = struct.unpack(">H", cmap[2:4])[0]
    for i in range(n):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        if (platform, encoding) in ((3, 1), (0, 3)) and struct.unpack(">H", cmap[offset : offset + 2])[
            0
        ] == 4:
            return _format4(cmap[offset:])
    raise ValueError("no Unicode BMP cmap")


def _format4(t: bytes) -> dict[int, int]:
    segs = struct.unpack(">H", t[6:8])[0] // 2
    ends = struct.unpack(f">{segs}H", t[14 : 14 + 2 * segs])
    base = 16 + 2 * segs
    starts = struct.unpack(f">{segs}H", t[base : base + 2 * segs])
    deltas = struct.unpack(f">{segs}h", t[base + 2 * segs : base + 4 * segs])
    ranges_at = base + 4 * segs
    ranges = struct.unpack(f">{segs}H", t[ranges_at : ranges_at + 2 * segs])
    out: dict[int, int] = {}
    for s, (start, end, delta, rng) in enumerate(zip(starts, ends, deltas, ranges, strict=True)):
        for code in range(start, end + 1):
            if code == 0xFFFF:
                continue
            if rng == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = ranges_at + 2 * s + rng + 2 * (code - start)
                glyph = struct.unpack(">H", t[at : at + 2])[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            out[code] = glyph
    return out
