"""Figures and the printed table: one row per figure, with the target from quality.md beside it."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Figure", "percentile", "print_table", "write_json"]


@dataclass
class Figure:
    """One measured figure. ``key`` is stable (tests look for it); ``label`` says what was measured."""

    key: str
    label: str
    value: float | None = None
    unit: str = ""
    target: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def shown(self) -> str:
        if self.value is None:
            return "-"
        if self.value >= 100:
            return f"{self.value:,.0f} {self.unit}".strip()
        if self.value < 1:  # sub-millisecond latencies would all print as 0.x
            return f"{self.value:,.3f} {self.unit}".strip()
        return f"{self.value:,.1f} {self.unit}".strip()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def print_table(figures: list[Figure]) -> None:
    headers = ("key", "figure", "measured", "target (quality.md)", "notes")
    rows = [(f.key, f.label, f.shown(), f.target, f.notes) for f in figures]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def write_json(figures: list[Figure], machine: dict[str, Any], directory: Path, *, quick: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"bench-{stamp}{'-quick' if quick else ''}.json"
    payload = {"at": stamp, "quick": quick, "machine": machine, "figures": [asdict(f) for f in figures]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path
