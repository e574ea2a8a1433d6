"""A real server process on loopback, killable and quickly restarted; a family seeded into its database.

Importing Litestar, SQLAlchemy and the server takes about 1.2 s on the CI machine, which would make
a crash test with hundreds of SIGKILLs spend most of its time importing. So a small *fork server*
imports everything once and forks a fresh server process per start: each child creates the app
(migrations, engine, connections) and runs uvicorn on the port, and is SIGKILLed like any process.
The parent never opens the database, so every child starts from what is on disk.

Run as ``python -m tests.support.live`` (the fork server, driven over stdin/stdout); tests use
:class:`LiveServer`. Settings come from the environment (``YONGDON_*``, see ``server.settings``).
"""

from __future__ import annotations

import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.logs import keep_server_log

__all__ = ["LiveServer", "Seeded", "free_port", "seed_family", "server_process", "yongdon_server"]

_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def yongdon_server(data_dir: Path, log_path: Path, **env: str) -> Iterator[str]:
    """``yongdon server`` as an operator starts it: its own process on an (empty) ``data_dir``, over
    a real socket, no ``YONGDON_*`` from the test's environment but ``env`` (``YONGDON_…`` names);
    yields its URL once ``/health`` answers. Its output goes to ``log_path``, which the session's log
    canary reads."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")} | env
    argv = [sys.executable, "-m", "server", "server", "--data-dir", str(data_dir), "--port", str(port)]
    with server_process(argv, environ, log_path, port):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def server_process(
    argv: list[str], env: dict[str, str], log_path: Path, port: int
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (a server on ``port``); yield its process once ``/health`` answers, and end it
    afterwards (terminate, then kill). Its output goes to ``log_path`` (the log canary reads it)."""
    with keep_server_log(log_path).open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        try:
            deadline = time.monotonic() + 120  # seconds unloaded; a busy shared CI box is slower
            while True:
                assert process.poll() is None, f"the server exited ({process.returncode})"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """A server on ``127.0.0.1:port`` over ``database_url``; :meth:`start`, :meth:`kill`, :meth:`stop`."""

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        *,
        port: int | None = None,
        jwt_secret: str | None = None,
        pin_pepper: str | None = None,
    ) -> None:
        self.database_url, self.data_dir = database_url, data_dir
        self.port = port or free_port()
        self.jwt_secret = jwt_secret or secrets.token_urlsafe(40)
        self.pin_pepper = pin_pepper or secrets.token_urlsafe(40)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = keep_server_log(data_dir / "server.log")
        self.pid: int | None = None
        self.starts = 0
        env = {
            **os.environ,
            "YONGDON_JWT_SECRET": self.jwt_secret,
            "YONGDON_PIN_PEPPER": self.pin_pepper,
            "YONGDON_DATA_DIR": str(data_dir),
            "YONGDON_DATABASE_URL": database_url,
            "YONGDON_RATE_LIMITS": "0",
            "YONGDON_LIVE_PORT": str(self.port),
            "YONGDON_LIVE_LOG": str(self.log),
            "PYTHONUNBUFFERED": "1",  # a SIGKILL must not eat the log
        }
        self._forker = subprocess.Popen(
            [sys.executable, "-m", "tests.support.live"],
            cwd=_ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        # the fork server's answers, read by a thread so that each wait for one has a bound
        self._answers_q: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read_answers, daemon=True)
        self._reader.start()
        self._expect("imported", timeout=60)

    def _read_answers(self) -> None:
        assert self._forker.stdout is not None
        try:
            for line in iter(self._forker.stdout.readline, ""):
                self._answers_q.put(line)
        except (ValueError, OSError):  # closed at the end
            pass
        self._answers_q.put("")

    def settings(self) -> Any:
        """The settings the server process runs with (same secrets: tokens issued here are valid there)."""
        from server.settings import Settings

        return Settings(
            jwt_secret=self.jwt_secret,
            pin_pepper=self.pin_pepper,
            data_dir=self.data_dir,
            database_url=self.database_url,
            rate_limits=False,
            announce_setup_token=False,
        )

    def _send(self, command: str) -> None:
        assert self._forker.stdin is not None
        self._forker.stdin.write(command + "\n")
        self._forker.stdin.flush()

    def _expect(self, prefix: str, timeout: float = 30.0) -> str:
        try:
            line = self._answers_q.get(timeout=timeout).strip()
        except queue.Empty:
            silent = f"fork server silent for {timeout} s, expected {prefix!r}"
            raise RuntimeError(f"{silent}; see {self.log}") from None
        if not line.startswith(prefix):
            raise RuntimeError(f"fork server said {line!r}, expected {prefix!r}; see {self.log}")
        return line[len(prefix) :].strip()

    def start(self, timeout: float = 30.0) -> float:
        """Start a server process and wait until it answers ``/health``; returns the seconds it took."""
        began = time.perf_counter()
        self._send("start")
        self.pid = int(self._expect("pid"))
        self.starts += 1
        deadline = began + timeout
        while time.perf_counter() < deadline:
            if self._answers():
                return time.perf_counter() - began
            time.sleep(0.003)
        raise RuntimeError(f"the server did not come up in {timeout} s; see {self.log}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return conn.recv(32).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server process (no shutdown hooks, no flush) and wait until it is gone."""
        if self.pid is not None:
            self._send("kill")
            self._expect("dead")
            self.pid = None

    def stop(self) -> None:
        """A graceful stop (SIGTERM: uvicorn finishes in-flight requests and runs shutdown hooks)."""
        if self.pid is not None:
            self._send("stop")
            self._expect("dead")
            self.pid = None

    def close(self) -> None:
        self.kill()
        if self._forker.poll() is None:
            assert self._forker.stdin is not None and self._forker.stdout is not None
            self._forker.stdin.close()
            self._forker.wait(timeout=10)
        self._reader.join(5)  # the pipe's end reached: closing it under a blocked read would block
        if not self._reader.is_alive() and self._forker.stdout is not None:
            self._forker.stdout.close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Seeded:
    """What :func:`seed_family` made: ids, access tokens and a quote, by name."""

    family_id: str
    users: dict[str, str] = field(default_factory=dict)  # name -> user id
    devices: dict[str, str] = field(default_factory=dict)  # name -> client id
    tokens: dict[str, str] = field(default_factory=dict)  # device name -> access token
    quotes: dict[str, Any] = field(default_factory=dict)  # symbol -> sync.market.Quote

    def headers(self, device: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[device]}", "Content-Type": "application/json"}


def seed_family(
    settings: Any,
    *,
    children: int = 1,
    devices_per_child: int = 1,
    preset: str = "beginner",
    prices: dict[str, int] | None = None,
    rules: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Seeded:
    """A family written straight into the (migrated) database: parent ``mom`` with device ``mom``,
    children ``kid0``… with devices ``kid0``, ``kid0-1``…, house rules ``preset`` (plus ``rules``
    overrides as a second rules version) and one quote per symbol (a scripted Yahoo's, fetched by the
    server's refresher). Tokens come from the server's own session code, so they are valid for a server
    on the same secrets.
    """
    import msgspec

    from server.auth.sessions import issue_tokens
    from server.db import Database
    from server.db.migrate import upgrade
    from server.db.models import Device, Family, RulesVersion, User
    from server.game.accounts import open_child
    from server.payment.crypto import cipher_from_settings
    from sync.rules import PRESETS

    from .market import refreshed_in

    now = now or datetime.now(UTC)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    seeded = Seeded(family_id=f"fam-{secrets.token_hex(6)}")
    fam = seeded.family_id
    try:
        with db.write() as s:
            s.add(Family(id=fam, name="Kim", created_at=now))
        people = [("mom", "parent")] + [(f"kid{i}", "child") for i in range(children)]
        with db.write(fam) as s:
            for name, role in people:
                user_id = f"{role}-{secrets.token_hex(6)}"
                seeded.users[name] = user_id
                s.add(User(id=user_id, family_id=fam, role=role, display_name=name, created_at=now))
                s.flush()
                device_names = (
                    [name]
                    if role == "parent"
                    else [name if k == 0 else f"{name}-{k}" for k in range(devices_per_child)]
                )
                if role == "child":
                    open_child(s, family_id=fam, child_id=user_id, preset=preset, now=now)
                    if rules:
                        data = msgspec.to_builtins(msgspec.structs.replace(PRESETS[preset], **rules))
                        s.add(
                            RulesVersion(
                                child_id=user_id,
                                version=2,
                                family_id=fam,
                                effective_at=now,
                                set_by="seed",
                                data=data,
                            )
                        )
                for device_name in device_names:
                    client_id = f"dev-{device_name}-{secrets.token_hex(6)}"
                    seeded.devices[device_name] = client_id
                    s.add(
                        Device(
                            client_id=client_id,
                            user_id=user_id,
                            family_id=fam,
                            name=device_name,
                            created_at=now,
                        )
                    )
            s.flush()
            for device_name, client_id in seeded.devices.items():
                owner = device_name.split("-")[0]
                user = s.get(User, seeded.users[owner])
                assert user is not None
                seeded.tokens[device_name] = issue_tokens(s, user, client_id, now, settings)["access_token"]
        # Yahoo's prices, fetched by a pass of the server's refresher on its database
        seeded.quotes = refreshed_in(settings.database_url, prices or {"005930.KS": 70_000}, now=now)
    finally:
        db.dispose()
    return seeded


# -- the fork server ---------------------------------------------------------------------------------


def _serve_child() -> None:
    log = os.open(os.environ["YONGDON_LIVE_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    import logging

    import uvicorn

    from server.app import create_app
    from server.live.messages import MAX_MESSAGE
    from server.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")  # as `yongdon server` (server.cli)
    settings = Settings.from_env(announce_setup_token=False)
    app = create_app(settings)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["YONGDON_LIVE_PORT"]),
        log_level="warning",
        access_log=False,
        ws_max_size=MAX_MESSAGE,  # as `yongdon server` (server.cli)
    )


def _fork_server() -> None:
    # Import what a server process imports, once; children inherit it.
    import uvicorn  # noqa: F401

    import server.app  # noqa: F401

    print("imported", flush=True)
    child: int | None = None
    for line in sys.stdin:
        command = line.strip()
        if command == "start":
            child = os.fork()
            if child == 0:
                try:
                    _serve_child()
                finally:
                    os._exit(0)
            print(f"pid {child}", flush=True)
        elif command in ("kill", "stop") and child is not None:
            os.kill(child, signal.SIGKILL if command == "kill" else signal.SIGTERM)
            os.waitpid(child, 0)
            child = None
            print("dead", flush=True)
    if child is not None:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


if __name__ == "__main__":
    _fork_server()
