"""Small device preferences kept beside the local database: watchlist, language, theme."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Prefs"]


@dataclass
class Prefs:
    path: Path | None = None  # None: in memory only (tests, first start before a data dir)
    watchlist: list[str] = field(default_factory=list)
    locale: str | None = None
    dark: bool = False

    @classmethod
    def load(cls, path: Path) -> Prefs:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return cls(path=path)  # a damaged file only costs the watchlist, never the game
        return cls(
            path=path,
            watchlist=[s for s in raw.get("watchlist", []) if isinstance(s, str)],
            locale=raw.get("locale"),
            dark=bool(raw.get("dark", False)),
        )

    def save(self) -> None:
        if self.path is None:
            return
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)
