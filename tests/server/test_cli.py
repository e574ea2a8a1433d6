"""The ``yongdon`` command: operator tasks in process, the demo as a real server process."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_demo(data: Path) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    process = subprocess.Popen(
        # the server's part of the demo; the app it opens is tested in tests/e2e/test_demo.py
        [sys.executable, "-m", "server", "demo", "--data-dir", str(data), "--port", str(port), "--no-app"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the demo server did not start")


@pytest.mark.slow
def test_demo_starts_a_server_with_the_demo_family_idempotently(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    for _ in range(2):
        process, port = _run_demo(data)
        try:
            credentials = json.loads((data / "demo-credentials.json").read_text(encoding="utf-8"))
            login = httpx.post(
                f"http://127.0.0.1:{port}/api/users/login",
                json={
                    "email": "demo@yongdon.local",
                    "password": credentials["password"],
                    "client_id": "demo-parent",
                },
            )
            assert login.status_code == 200
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            family = httpx.get(f"http://127.0.0.1:{port}/api/family", headers=headers).json()
            assert sorted(m["display_name"] for m in family["members"]) == ["엄마", "지우", "하늘"]
            kid = credentials["children"][1]
            pin = httpx.post(
                f"http://127.0.0.1:{port}/api/users/login/pin",
                json={"client_id": kid["client_id"], "child_id": kid["user_id"], "pin": kid["pin"]},
            )
            assert pin.status_code == 200
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=10)
        assert credentials["password"] in output and "demo@yongdon.local" in output
