"""The app's web view in a real browser: Debian chromium driven by pip Playwright (never
``playwright install``). These run in CI like every other test."""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import chromium_path
from tests.support.live import LiveServer
from tests.support.shots import ARTIFACTS

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test that times out runs once more, in a fresh page (pytest-rerunfailures).

    Flutter draws with a software renderer here, and a starved machine has frozen it for tens of
    seconds (a clean-clone CI run: a click done, then neither the page nor a screenshot answered
    for 25 s). The rerun is reported ("1 rerun"); a real fault fails both tries, and any other
    error than a Playwright timeout is not retried."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Output:
    """A child process's output, read by a daemon thread so every read here has a bound: a blocked
    ``readline()`` on a launcher that never prints once hung the suite for 15 minutes."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._stream = proc.stdout
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(ValueError, OSError):
            for raw in iter(stream.readline, b""):
                self.lines.put(raw.decode(errors="replace"))
        self.lines.put(None)

    def next_line(self, deadline: float) -> str | None:
        """The next line, ``None`` at the end of the output; ``TimeoutError`` past ``deadline``."""
        try:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            so_far = "".join(self.seen)[-2000:]
            raise TimeoutError(f"no output within the bound; so far: {so_far!r}") from None
        if line is not None:
            self.seen.append(line)
        return line

    def close(self) -> None:
        """Close the pipe once the reader saw its end (closing it under a blocked read would block)."""
        self._thread.join(5)
        if not self._thread.is_alive():
            self._stream.close()

    def so_far(self) -> str:
        """What was printed until now (without waiting for more)."""
        with contextlib.suppress(queue.Empty):
            while (line := self.lines.get_nowait()) is not None:
                self.seen.append(line)
        return "".join(self.seen)[-3000:]


def wait_listening(port: int, proc: subprocess.Popen[bytes], output: Output, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early ({proc.returncode}): {output.so_far()!r}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}: {output.so_far()!r}")


@dataclass
class Served:
    port: int
    secret: str
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def entry(self) -> str:
        return f"{self.base}/?key={self.secret}"


def printed_secret(output: Output, timeout: float = 60.0) -> str:
    """The secret from the link the launcher prints for the person who started it."""
    deadline = time.monotonic() + timeout
    while (line := output.next_line(deadline)) is not None:
        if "?key=" in line:
            return line.strip().rsplit("?key=", 1)[1]
    raise AssertionError(f"the launcher printed no link: {output.so_far()!r}")


def serve(
    args: list[str], env: dict[str, str] | None = None, *, prints_link: bool = False
) -> Iterator[Served]:
    port, secret = free_port(), secrets.token_urlsafe(16)
    full_env = {**os.environ, "YONGDON_TEST_SECRET": secret, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, *[a.replace("{port}", str(port)) for a in args]],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output = Output(proc)  # also keeps the pipe drained: a full pipe would block the app
    try:
        if prints_link:
            secret = printed_secret(output)
        wait_listening(port, proc, output)
        yield Served(port, secret, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        output.close()


@pytest.fixture(scope="session")
def fake_app() -> Iterator[Served]:
    yield from serve(["-m", "tests.client.browser.fake_app", "{port}"])


@pytest.fixture(scope="session")
def fake_app_without_font() -> Iterator[Served]:
    yield from serve(["-m", "tests.client.browser.fake_app", "{port}"], {"YONGDON_TEST_NO_FONT": "1"})


@pytest.fixture(scope="module")  # sync Playwright keeps an event loop running: end it with the module
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--enable-unsafe-swiftshader"])
        yield b
        b.close()


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """A real server process on a copy of the migrated template database (the tests that need other
    settings define their own ``live``)."""
    db = tmp_path / "server" / "yongdon.db"
    db.parent.mkdir()
    shutil.copyfile(sqlite_template, db)
    with LiveServer(f"sqlite:///{db}", db.parent) as server:
        server.start()
        yield server


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
