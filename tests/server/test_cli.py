"""The ``yongdon`` command: operator tasks in process (the demo is tests/e2e/test_demo.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.cli import main


def test_admin_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    main(["admin", "migrate", "--data-dir", data])
    assert "latest schema" in capsys.readouterr().out
    main(["admin", "setup-token", "--data-dir", data])
    token = capsys.readouterr().out.strip()
    assert len(token) >= 24
    assert (tmp_path / "data" / "secret.key").exists()
    main(["admin", "backup", "--data-dir", data, str(tmp_path / "copy.db")])
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    with pytest.raises(SystemExit, match="exists"):
        main(["admin", "backup", "--data-dir", data, str(tmp_path / "copy.db")])


def test_refuses_a_weak_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YONGDON_JWT_SECRET", "change-me")
    monkeypatch.setenv("YONGDON_PIN_PEPPER", "change-me-too")
    with pytest.raises(SystemExit, match="jwt_secret"):
        main(["admin", "migrate", "--data-dir", str(tmp_path)])
