"""The one rule for names people give: a parent's, a child's, a family's, a device's.

A name must show something: at least one visible character. Control characters and line breaks
never belong in a name. The bidirectional embedding, override and isolate controls (U+202A–U+202E,
U+2066–U+2069) are refused anywhere: they reorder the text shown after them, so a name could make a
device list, an approval or a notification read as something else. Zero-width joiners and variation
selectors stay allowed inside a visible name (emoji such as 👨‍👩‍👧 are made with them).

Pure, so the server refuses such a name and a device can say why before it sends one.
"""

from __future__ import annotations

import unicodedata

__all__ = ["name_problem"]

_DIRECTION_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# characters that are never part of a name: C0/C1 controls, line and paragraph separators
_NEVER = frozenset({"Cc", "Zl", "Zp"})
# characters that show nothing by themselves: format characters (zero-width space, joiners, BOM,
# soft hyphen), spaces and combining marks (they need a base to show on)
_SHOW_NOTHING = frozenset({"Cf", "Zs", "Mn", "Mc", "Me"})
# letters and symbols that render blank: the Hangul fillers (a known way to a "blank" Korean name)
# and the braille blank
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a display name, or ``None`` when it can."""
    if any(char in _DIRECTION_CONTROLS for char in name):
        return "must not contain text-direction controls (U+202A–U+202E, U+2066–U+2069)"
    if any(unicodedata.category(char) in _NEVER for char in name):
        return "must not contain control characters or line breaks"
    if not any(_shows(char) for char in name):
        return "needs at least one visible character"
    return None


def _shows(char: str) -> bool:
    return char not in _BLANK and unicodedata.category(char) not in _SHOW_NOTHING
