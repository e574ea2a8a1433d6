"""The pictures a run took, listed at its end: a reviewer of a CI run opens them by path.

Browser tests keep their screenshots as files under ``tests/artifacts/`` (kept out of git); this lists
every picture written there during the session, so a run's output names each screen it saw.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ARTIFACTS", "pytest_sessionstart", "pytest_terminal_summary", "taken_since"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
_STARTED = pytest.StashKey[float]()


def taken_since(started: float, where: Path = ARTIFACTS) -> list[Path]:
    """The pictures under ``where`` written at or after ``started`` (``time.time()``), by path."""
    if not where.is_dir():
        return []
    return sorted(p for p in where.rglob("*.png") if p.stat().st_mtime >= started)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.time() - 1  # a file system's mtime may be coarser than the clock


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    started = config.stash.get(_STARTED, None)
    if started is None:
        return
    shots = taken_since(started)
    if shots:
        terminalreporter.section(f"screenshots kept ({len(shots)})")
        for path in shots:
            terminalreporter.write_line(str(path))
