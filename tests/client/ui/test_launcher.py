"""``yongdon app`` runs the client in its own process; the desktop window only where it can open."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from client.web import desktop_available
from tests.support.live import free_port


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process table in /proc")
def test_yongdon_app_becomes_the_app_and_prints_its_link_once_listening(tmp_path: Path) -> None:
    """The launcher does not stay resident beside the app: the process the person started is the app
    (it printed the link, and it has no child interpreter), and the link answers when printed."""
    launcher = Path(sys.executable).with_name("yongdon")
    port = free_port()
    argv = [str(launcher), "app", "--server", "http://192.168.0.10:8787", "--port", str(port)]
    argv += ["--data-dir", str(tmp_path / "app"), "--no-browser"]
    env = {**os.environ, "YONGDON_APP_VIEW": "web", "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            deadline, link = time.monotonic() + 60, ""
            while time.monotonic() < deadline and not link:
                line = process.stdout.readline()
                if not line:
                    break
                link = (
                    line.strip().removeprefix("Yongdon is open at ") if "Yongdon is open at" in line else ""
                )
            assert urlsplit(link).port == port, link
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
            assert cmdline[1:3] == [b"-m", b"client"]  # the started process now runs the app itself
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            assert children == []  # and no second interpreter holds memory beside it
        finally:
            process.terminate()
            process.wait(30)


def test_desktop_view_only_with_flet_desktop_and_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    assert desktop_available({"YONGDON_APP_VIEW": "web", "DISPLAY": ":0"}) is False
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert desktop_available({"DISPLAY": ":0"}) is False  # no flet-desktop: the web view
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(sys, "platform", "linux")
    assert desktop_available({}) is False  # a headless Linux box
    assert desktop_available({"DISPLAY": ":0"}) is True


def test_the_printed_link_answers_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The link is given out once the web view listens: opened the moment it is printed (a person
    quick on the click, the browser the launcher opens), it never meets "connection refused"."""
    import uvicorn

    from client import web
    from client.config import load_config

    async def app(scope: Any, receive: Any, send: Any) -> None:  # the gate's place: any ASGI app
        return None

    servers: list[Any] = []
    opened: list[str] = []
    original = uvicorn.Server.__init__

    def keep(self: Any, config: Any) -> None:
        original(self, config)
        servers.append(self)

    def printed(text: str, **kw: Any) -> None:  # what the person sees, and opens right then
        where = urlsplit(text.removeprefix("Yongdon is open at "))
        try:  # the connection only: this runs on the server's own loop, which answers after it
            socket.create_connection((where.hostname, where.port), timeout=5).close()
            opened.append("listening")
        except ConnectionRefusedError:
            opened.append("connection refused")
        for server in servers:
            server.should_exit = True

    monkeypatch.setattr(uvicorn.Server, "__init__", keep)
    monkeypatch.setattr(web, "build_web_app", lambda main, config, secret: app)
    monkeypatch.setattr(web, "print", printed, raising=False)
    runner = threading.Thread(target=web.serve_web, args=(None, load_config(), free_port()),
                              kwargs={"open_browser": False}, daemon=True)  # fmt: skip
    runner.start()
    runner.join(30)
    assert opened == ["listening"]
