"""The family's data on the server's disk is readable by the server's user only (issue 14 hole 7).

The data dir holds the ledger (SQLite and its WAL), the secret key and the demo's credentials: the
dir is 0700 and the database files 0600, also for an install made before this was so.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.cli import main
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A typical umask (022): without care, new files would be world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _run_family(data: Path, clock: MovableClock) -> None:
    settings = Settings.for_data_dir(data, env={}, announce_setup_token=False, notify_dispatcher=False)
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as client:
            Family.create(client, ("지우",))  # writes: the WAL and its index exist while the server runs
            files = {name: _mode(data / name) for name in ("yongdon.db", "yongdon.db-wal", "yongdon.db-shm")}
            assert files == dict.fromkeys(files, 0o600)
    finally:
        app.state.db.dispose()


@pytest.mark.usefixtures("open_umask")
def test_a_new_data_dir_and_its_database_are_private(tmp_path: Path, clock: MovableClock) -> None:
    data = tmp_path / "data"
    _run_family(data, clock)
    assert _mode(data) == 0o700
    assert _mode(data / "yongdon.db") == 0o600 and _mode(data / "secret.key") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_an_install_made_before_is_made_private_at_the_next_start(
    tmp_path: Path, clock: MovableClock
) -> None:
    data = tmp_path / "data"
    _run_family(data, clock)
    data.chmod(0o755)
    for path in data.glob("yongdon.db*"):
        path.chmod(0o644)
    _run_family(data, clock)
    assert _mode(data) == 0o700 and _mode(data / "yongdon.db") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_a_backup_is_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    main(["admin", "migrate", "--data-dir", data])
    main(["admin", "backup", "--data-dir", data, str(tmp_path / "copy.db")])
    assert _mode(tmp_path / "copy.db") == 0o600
    assert _mode(tmp_path / "data") == 0o700
