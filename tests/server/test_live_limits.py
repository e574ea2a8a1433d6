"""``/ws`` as an unauthenticated stranger sees it, over a real socket to ``yongdon server``.

Before authenticating, a socket may send one message of at most 8 KiB. A larger frame is refused from
its header by the server process (uvicorn's ``ws_max_size``, close 1009) before its payload is read,
so twenty strangers each sending a 16 MiB frame leave the server's memory where it was.
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from server.live.messages import CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED
from tests.support.live import free_port
from tests.support.logs import keep_server_log

_FRAME = 16 * 1024 * 1024 - 1024  # just under uvicorn's default bound: an unbounded server reads it all
# a masked text frame with a zero mask key (the payload goes as it is), built once for every socket
_OVERSIZED = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", _FRAME) + bytes(4) + b"x" * _FRAME


def _memory(pid: int, key: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (the peak so far) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no {key} for {pid}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """``yongdon server`` on a fresh data dir: (ws URL, pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YONGDON_")}
    log = keep_server_log(tmp_path / "server.log")
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "server",
                "--data-dir",
                str(tmp_path / "data"),
                "--port",
                str(port),
            ],
            env={**env, "YONGDON_NOTIFY_DISPATCHER": "0", "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,  # the one-time setup token
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 120  # a first start builds the exchange calendars
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/ws", process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _close_code(url: str, frame: bytes) -> int | None:
    """Open a socket, send ``frame`` raw as the first message, and return the server's close code."""
    with connect(url, open_timeout=10, close_timeout=2) as ws:
        with contextlib.suppress(OSError):  # the server hung up mid-frame; its close frame is on the way
            ws.socket.sendall(frame)
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        except TimeoutError:
            return None
    return None


@pytest.mark.slow
def test_oversized_first_frames_are_refused_from_the_header_and_memory_stays_flat(
    server: tuple[str, int],
) -> None:
    url, pid = server
    not_auth = b'{"type": "subscribe", "channels": []}'
    small = bytes([0x81, 0x80 | len(not_auth)]) + bytes(4) + not_auth
    assert _close_code(url, small) == CLOSE_UNAUTHENTICATED  # a small message that is not auth: 4401
    before = _memory(pid, "VmRSS")
    codes: list[int | None] = []
    for _ in range(4):  # 20 strangers, 5 at a time
        batch = [
            threading.Thread(target=lambda: codes.append(_close_code(url, _OVERSIZED))) for _ in range(5)
        ]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join()
    assert codes == [CLOSE_TOO_BIG] * 20
    grown = _memory(pid, "VmHWM") - before
    assert grown < 48, f"the server grew by {grown} MiB for 20 refused sockets"


def test_the_app_refuses_an_oversized_first_message_under_any_server(client: TestClient[Any]) -> None:
    """Without uvicorn's bound (another ASGI server, the test client) the app itself refuses a first
    message over 8 KiB without parsing it, with the same close code."""
    with client.websocket_connect("/ws") as ws:
        ws.send_text('{"type": "auth", "token": "' + "x" * (8 * 1024) + '"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_TOO_BIG
