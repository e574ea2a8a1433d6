"""A family ``World`` on each database backend (SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.world import World


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    w = World(tmp_path, database_url=database_url)
    yield w
    w.close()
    w.db.dispose()
