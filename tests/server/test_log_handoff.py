"""A served process's log lines are written by a thread of their own (``server.logs.LogHandoff``):
every line still reaches the log file, in the order it was logged, scrubbed as before."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.logs import LogHandoff, get_logger


class _Writers(logging.Handler):
    """Which threads wrote the lines."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.threads.add(threading.current_thread().name)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "server.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def test_every_line_is_written_in_order_and_none_is_lost_at_stop(log_file: Path) -> None:
    writers = _Writers()
    logging.getLogger().addHandler(writers)
    handoff = LogHandoff()
    handoff.start()
    log = logging.getLogger("yongdon.test")
    requests = get_logger("yongdon.http")
    try:
        for i in range(300):
            log.info("line %d", i)
            requests.info("request", method="GET", route="/health", status=200, n=i)
        try:
            with sqlite3.connect(":memory:") as db:
                db.execute("CREATE TABLE t (email TEXT UNIQUE)")
                db.execute("INSERT INTO t VALUES ('jiu@example.org')")
                db.execute("INSERT INTO t VALUES ('jiu@example.org')")
        except sqlite3.Error:
            log.exception("a write failed for someone@example.org")
    finally:
        handoff.stop()
        logging.getLogger().removeHandler(writers)
    log.info("after the stop")

    lines = log_file.read_text(encoding="utf-8").splitlines()
    logged = [line for line in lines if line.startswith("line ") or '"event": "request"' in line]
    assert len(logged) == 600  # in the order logged: each request's line right after its plain one
    assert all(logged[2 * i] == f"line {i}" and f'"n": {i}' in logged[2 * i + 1] for i in range(300))
    text = "\n".join(lines)
    assert "a write failed for [redacted]" in text and "Traceback (most recent call last)" in text
    assert "database error text not logged" in text
    assert "example.org" not in text  # neither the message's address nor the driver's row values
    assert lines[-1] == "after the stop"
    assert threading.current_thread().name not in writers.threads  # written by the handoff's thread


def test_a_stopped_handoff_leaves_the_handlers_as_they_were(log_file: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    handoff = LogHandoff()
    handoff.start()
    assert len(root.handlers) == 1
    handoff.stop()
    handoff.stop()  # the lifespan's end, then the process's exit
    assert sorted(map(id, root.handlers)) == sorted(map(id, before))
    logging.getLogger("yongdon.test").info("written at once")
    assert log_file.read_text(encoding="utf-8").splitlines() == ["written at once"]
