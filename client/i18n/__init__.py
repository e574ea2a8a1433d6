"""Korean and English text: catalogs per area (``<locale>/<area>.json``) and locale-aware numbers.

Each area's file holds flat dotted keys. A later area (parent mode) adds ``ko/parent.json`` and
``en/parent.json`` without touching the others; a test keeps the two languages' key sets equal.
"""

from __future__ import annotations

from .catalog import Catalogs, Translator, load_catalogs, system_locale
from .fmt import Formatter

__all__ = ["Catalogs", "Formatter", "Translator", "load_catalogs", "system_locale"]
