"""``yongdon app`` runs the client in its own process; the desktop window only where it can open."""

from __future__ import annotations

import subprocess
import sys

import pytest

from client.web import desktop_available
from server.cli import main as yongdon


def test_yongdon_app_runs_the_client_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda argv: seen.append(argv) or 0)
    with pytest.raises(SystemExit) as exited:
        yongdon(["app", "--server", "http://192.168.0.10:8787", "--port", "8600", "--no-browser"])
    assert exited.value.code == 0
    assert seen == [
        [
            sys.executable,
            "-m",
            "client",
            "--server",
            "http://192.168.0.10:8787",
            "--port",
            "8600",
            "--no-browser",
        ]
    ]


def test_desktop_view_only_with_flet_desktop_and_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    assert desktop_available({"YONGDON_APP_VIEW": "web", "DISPLAY": ":0"}) is False
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert desktop_available({"DISPLAY": ":0"}) is False  # no flet-desktop: the web view
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(sys, "platform", "linux")
    assert desktop_available({}) is False  # a headless Linux box
    assert desktop_available({"DISPLAY": ":0"}) is True
