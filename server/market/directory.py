"""The curated symbol directory (``assets/market/symbols.json``), loaded once, and its search index.

The file lives in the repository's ``assets/`` next to the packages (the server runs from an editable
install), and the client ships the same file: both search it with ``sync.search``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sync.search import Match, SymbolEntry, SymbolIndex, entries_from_json

__all__ = ["SYMBOLS_PATH", "directory", "entry_json", "match_json"]

SYMBOLS_PATH = Path(__file__).resolve().parents[2] / "assets" / "market" / "symbols.json"


@cache
def directory() -> SymbolIndex:
    """The index over the bundled directory, built on first use and kept for the process."""
    return SymbolIndex(entries_from_json(SYMBOLS_PATH.read_text(encoding="utf-8")))


def entry_json(entry: SymbolEntry) -> dict[str, Any]:
    """What a device shows for a symbol: names, market, sector and the kid-level description."""
    return {
        "symbol": entry.symbol,
        "code": entry.code,
        "market": entry.market,
        "currency": entry.currency,
        "name_ko": entry.name_ko,
        "name_en": entry.name_en,
        "sector": entry.sector,
        "aliases": list(entry.aliases),
        "description": entry.description or None,
    }


def match_json(match: Match) -> dict[str, Any]:
    entry = match.entry
    return {
        "symbol": entry.symbol,
        "code": entry.code,
        "market": entry.market,
        "name_ko": entry.name_ko,
        "name_en": entry.name_en,
        "sector": entry.sector,
        "matched_by": match.reason,
    }
