"""The README's first command on this installation: the demo child signed in, the demo parent one
password away (pre-filled on the mode switch, because it is a demo).

``yongdon demo`` starts the app with the demo's credentials file; the app may start before the
server answers, so :meth:`Demo.ready` waits for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["Demo"]

log = logging.getLogger("yongdon.client.demo")


@dataclass
class Demo:
    server_url: str
    child_name: str
    child_id: str
    child_client_id: str
    pin: str
    parent_email: str
    parent_password: str

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
        self._done = False

    @classmethod
    def load(cls, path: Path, server_url: str) -> Demo:
        """The server's ``demo-credentials.json``; the first child (지우) is shown."""
        data = json.loads(path.read_text(encoding="utf-8"))
        child = data["children"][0]
        return cls(
            server_url=server_url,
            child_name=child["name"],
            child_id=child["user_id"],
            child_client_id=child["client_id"],
            pin=child["pin"],
            parent_email=data["email"],
            parent_password=data["password"],
        )

    async def ready(self, runtime: Any, *, wait_s: float = 60.0) -> None:
        """Sign the demo child in once per process (every browser tab shares the installation)."""
        async with self._lock:
            if self._done:
                return
            await self._wait_for_server(runtime, wait_s)
            known = {i.client_id: i for i in runtime.identities()}
            identity = known.get(self.child_client_id)
            if identity is None:
                await runtime.sign_in_enrolled_child(
                    self.server_url, self.child_client_id, self.child_id, self.pin
                )
            else:
                await runtime.unlock_child(identity, self.pin)
            self._done = True

    async def _wait_for_server(self, runtime: Any, wait_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        async with httpx.AsyncClient(base_url=self.server_url, transport=runtime.transport) as http:
            while True:
                try:
                    if (await http.get("/ready", timeout=2)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    log.warning("demo server %s did not answer; opening the app anyway", self.server_url)
                    return
                await asyncio.sleep(0.2)
