"""The one rule for text on the wire, shared by every input schema.

Text never carries control characters (NUL, line breaks, escapes, C1 controls): none belongs in a
name, an e-mail address, a password, a code or a search word, and PostgreSQL refuses NUL outright.
The rule is a pattern on each text field (``Annotated[str, Meta(pattern=NO_CONTROL, max_length=…)]``),
so msgspec enforces it and the OpenAPI document states it, from the same object.
"""

from __future__ import annotations

__all__ = ["CONTROL", "ID_PATTERN", "NO_CONTROL"]

# Unicode's control characters (category Cc: C0, DEL and C1), spelled as ranges: Python's ``re`` and
# the ECMA-262 patterns of JSON Schema read them alike (``\s`` they do not: NEL is Python whitespace)
CONTROL = r"\x00-\x1f\x7f-\x9f"
NO_CONTROL = rf"^[^{CONTROL}]*$"
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"  # a user, child, device or object id: opaque, URL-safe
