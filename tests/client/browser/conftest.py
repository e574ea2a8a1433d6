"""The app's web view in a real browser: Debian chromium driven by pip Playwright (never
``playwright install``). These run in CI like every other test."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import chromium_path

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the app exited early ({proc.returncode}): {proc.stdout and proc.stdout.read()!r}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


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


def printed_secret(proc: subprocess.Popen[bytes]) -> str:
    """The secret from the link the launcher prints for the person who started it."""
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode()
        if "?key=" in line:
            return line.strip().rsplit("?key=", 1)[1]
    raise AssertionError("the launcher printed no link")


def serve(
    args: list[str], env: dict[str, str] | None = None, *, prints_link: bool = False
) -> Iterator[Served]:
    port, secret = free_port(), secrets.token_urlsafe(16)
    full_env = {**os.environ, "YONGDON_TEST_SECRET": secret, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, *[a.replace("{port}", str(port)) for a in args]],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        if prints_link:
            secret = printed_secret(proc)
        wait_listening(port, proc)
        yield Served(port, secret, proc)
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


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
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
