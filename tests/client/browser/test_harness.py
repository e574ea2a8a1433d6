"""The browser tests' own harness: a launcher that never prints fails within its bound (instead of
hanging the run), and the pictures a run takes are listed by path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.shots import taken_since

from .conftest import Output, printed_secret


def test_a_launcher_that_never_prints_its_link_fails_within_the_bound() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output = Output(proc)
    began = time.monotonic()
    try:
        with pytest.raises(TimeoutError, match="starting"):  # the error shows what it did print
            printed_secret(output, timeout=1.0)
        assert time.monotonic() - began < 5
    finally:
        proc.kill()
        proc.wait(10)
        output.close()


def test_the_link_is_read_from_the_output() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "print('log line'); print('open http://127.0.0.1:1/?key=abc123')"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output = Output(proc)
    try:
        assert printed_secret(output, timeout=10) == "abc123"
    finally:
        proc.wait(10)
        output.close()


def test_pictures_taken_during_the_run_are_listed(tmp_path: Path) -> None:
    old = tmp_path / "old.png"
    old.write_bytes(b"x")
    started = time.time() + 5  # as if the run started after the old picture
    os.utime(old, (started - 60, started - 60))
    (tmp_path / "journey").mkdir()
    new = tmp_path / "journey" / "01-kid-home.png"
    new.write_bytes(b"x")
    os.utime(new, (started + 1, started + 1))
    assert taken_since(started, tmp_path) == [new]
