"""`yongdon server` processes for the operations tests: a given code tree, a port, a shared database."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.logs import keep_server_log

__all__ = ["ServerProcess", "shared_secrets"]

ROOT = Path(__file__).resolve().parents[2]


def shared_secrets() -> dict[str, str]:
    """One set of secrets for every process: a token issued by one is valid at the others."""
    return {"YONGDON_JWT_SECRET": secrets.token_urlsafe(40), "YONGDON_PIN_PEPPER": secrets.token_urlsafe(40)}


class ServerProcess:
    """``yongdon server`` from the code in ``code`` (default: this checkout) on ``127.0.0.1:port``."""

    def __init__(self, name: str, port: int, data_dir: Path, env: dict[str, str], code: Path = ROOT) -> None:
        self.name, self.port, self.data_dir, self.code = name, port, data_dir, code
        self.url = f"http://127.0.0.1:{port}"
        self.log = keep_server_log(data_dir / f"{name}.log")  # grepped by the session's log canary
        self.env = {
            **os.environ,
            **env,
            "YONGDON_DATA_DIR": str(data_dir),
            "YONGDON_RATE_LIMITS": "0",
            "PYTHONPATH": str(code),  # this tree's `server` and `sync`, before the installed checkout's
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-c",
            "from server.cli import main; main()",
            "server",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, cwd=self.code, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not come up in {timeout} s; see {self.log}")

    def stop(self) -> None:
        """SIGTERM: uvicorn finishes the requests in flight and runs the shutdown hooks."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
