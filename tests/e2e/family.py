"""The journey's processes, started the way a family starts them: ``yongdon server`` and
``yongdon market`` (the operator's CLI) and one ``yongdon app`` per device, each on its own data dir.

Each process gets its own session (process group): ``yongdon app`` runs the app as a child process
of its own, and ending the group ends both. Output goes to a log file per process, kept for a
failing run's report; nothing is parsed from it but what a person would read off the terminal (the
setup token, the app's link).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.logs import keep_server_log

__all__ = ["App", "Processes", "Server", "free_port", "yongdon"]

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def yongdon() -> list[str]:
    """The installed ``yongdon`` command beside this interpreter (``-m server`` where it is missing)."""
    script = Path(sys.executable).with_name("yongdon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the test run's own ``YONGDON_*`` settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_for(what: str | Callable[[], str], check: Callable[[], T], timeout: float, every: float = 0.2) -> T:
    """Poll ``check()`` until it answers something truthy and return that; ``what`` (or what it
    answers when called, after the last try) names the failure."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what() if callable(what) else what}: not within {timeout:.0f} s")
        time.sleep(every)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        # the app's own child may outlive the launcher by a moment: end what is left of the group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)


@dataclass
class Processes:
    """Every process the journey started, stopped together at the end (and never before)."""

    logs: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = keep_server_log(self.logs / f"{name}.log")  # grepped by the session's log canary
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 (our own commands)
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def run(self, name: str, argv: list[str], env: dict[str, str]) -> str:
        """A command that finishes (the operator's CLI); its output, or a failure that shows it."""
        done = subprocess.run(  # noqa: S603 (our own commands)
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"`{' '.join(argv[-6:])}` failed ({done.returncode}):\n{output}"
        return output

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


@dataclass
class Server:
    """``yongdon server`` on an empty data dir."""

    process: Process
    url: str
    data_dir: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'yongdon.db'}"

    @property
    def cipher(self) -> Any:
        """The server's data keys (derived from the secrets it keeps in its data dir), to read its rows."""
        from server.payment.crypto import cipher_from_settings
        from server.settings import Settings

        return cipher_from_settings(Settings.for_data_dir(self.data_dir, env={}))

    def setup_token(self, timeout: float = 30.0) -> str:
        """The one-time token the server printed for its operator."""
        pattern = re.compile(r"one-time setup token \(POST /api/admin/setup\): (\S+)")

        def printed() -> str | None:
            found = pattern.search(self.process.output())
            return found.group(1) if found else None

        return str(wait_for("the server printed its setup token", printed, timeout))

    @classmethod
    def start(cls, processes: Processes, data_dir: Path, env: dict[str, str]) -> Server:
        port = free_port()
        argv = [*yongdon(), "server", "--data-dir", str(data_dir), "--port", str(port)]
        process = processes.start("server", argv, env)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert process.alive(), f"the server exited:\n{process.output()[-3000:]}"
            try:
                return httpx.get(f"{url}/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the server answers /ready", ready, 180)  # a first start builds the market calendars
        return cls(process, url, data_dir)


@dataclass
class App:
    """``yongdon app --no-browser`` in web view: one device, its own data dir and link."""

    name: str
    process: Process
    data_dir: Path
    link: str

    @classmethod
    def start(cls, processes: Processes, name: str, server_url: str, data_dir: Path) -> App:
        port = free_port()
        argv = [*yongdon(), "app", "--server", server_url, "--data-dir", str(data_dir), "--port", str(port)]
        env = clean_env(
            YONGDON_APP_VIEW="web",  # no desktop client on these machines
            # what a headless box or a browser tab has: no secure credential store
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            LANG="ko_KR.UTF-8",
            LC_ALL="",
            LC_MESSAGES="",
        )
        process = processes.start(name, [*argv, "--no-browser"], env)
        pattern = re.compile(r"Yongdon is open at (http://127\.0\.0\.1:\d+/\?key=\S+)")

        def printed() -> str | None:
            assert process.alive(), f"the app {name} exited:\n{process.output()[-3000:]}"
            found = pattern.search(process.output())
            return found.group(1) if found else None

        link = str(wait_for(f"the app {name} printed its link", printed, 60))
        return cls(name, process, data_dir, link)

    def profiles(self) -> list[Path]:
        """The device's local databases, one per identity enrolled on it."""
        return sorted((self.data_dir / "profiles").glob("*.db"))
