"""Flet's real Session and Page over a fake connection that plays the browser's part.

``flet.testing`` needs the Flutter SDK, so views are tested in process (research/flet.md §5): every
message is msgpack-serialised as the real connection would (the diffing relies on it), and a
``push_route`` call is answered like a browser does: reply, set the route, fire ``route_change``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import flet as ft
import msgpack
from flet.components.public_utils import unwrap_component
from flet.controls.base_control import BaseControl
from flet.controls.context import _context_page
from flet.messaging.connection import Connection
from flet.messaging.protocol import MessageAction, configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

_encode = configure_encode_object_for_msgpack(BaseControl)
SETTLE = 0.02


class FakeConnection(Connection):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.executor = ThreadPoolExecutor(max_workers=2)
        self.pubsubhub = PubSubHub(loop=loop, executor=self.executor)
        self.sent: list[Any] = []
        self.session: Session | None = None
        self.routes: list[str] = []
        self.page_url = "http://127.0.0.1:8550"  # what a browser's connection reports

    def send_message(self, message: Any) -> None:
        msgpack.packb([message.action, message.body], default=_encode)  # required: snapshots for diffs
        self.sent.append(message)
        if message.action == MessageAction.INVOKE_METHOD and message.body.name == "push_route":
            self.loop.create_task(self._browser_push_route(message.body))

    async def _browser_push_route(self, body: Any) -> None:
        assert self.session is not None
        route = body.args["route"]
        self.routes.append(route)
        self.session.handle_invoke_method_results(body.control_id, body.call_id, None, None)
        self.session.apply_page_patch({"route": route})
        await self.session.dispatch_event(self.session.page._i, "route_change", {"route": route})


class Harness:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.page = session.page

    @property
    def route(self) -> str:
        return self.page.views[-1].route if self.page.views else ""

    def all(self, cls: type | None = None, **props: Any) -> list[Any]:
        return [
            c
            for c in walk(self.page)
            if (cls is None or isinstance(c, cls)) and all(getattr(c, k, None) == v for k, v in props.items())
        ]

    def by_id(self, identifier: str) -> Any:
        """The control wrapped by ``ft.Semantics(identifier=…)`` (the browser's test id)."""
        found = self.all(ft.Semantics, identifier=identifier)
        assert found, f"no control with test id {identifier!r} on {self.route}"
        return found[0].content

    def has_id(self, identifier: str) -> bool:
        return bool(self.all(ft.Semantics, identifier=identifier))

    def texts(self) -> list[str]:
        return [str(t.value) for t in self.all(ft.Text)]

    def text_of(self, identifier: str) -> str:
        control = self.by_id(identifier)
        return " ".join(str(t.value) for t in walk(control) if isinstance(t, ft.Text))

    async def fire(self, control: Any, event: str, data: Any = None) -> None:
        await self.session.dispatch_event(control._i, event, data)
        await settle()

    async def click(self, identifier: str) -> None:
        control = self.by_id(identifier)
        buttons = [c for c in walk(control) if hasattr(c, "on_click") and getattr(c, "on_click", None)]
        assert buttons, f"{identifier!r} is not clickable"
        assert not buttons[0].disabled, f"{identifier!r} is disabled"
        await self.fire(buttons[0], "click")

    async def type(self, identifier: str, text: str) -> None:
        tf = self.by_id(identifier)
        self.session.apply_patch(tf._i, {"value": text})
        await self.fire(tf, "change")

    async def goto(self, route: str) -> None:
        """What the browser does when the address bar or the back button changes the route."""
        self.session.apply_page_patch({"route": route})
        await self.fire(self.page, "route_change", {"route": route})


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(SETTLE)


async def start(main: Any, route: str = "/") -> Harness:
    loop = asyncio.get_running_loop()
    conn = FakeConnection(loop)
    session = Session(conn)
    conn.session = session
    session.apply_page_patch({"route": route, "web": True})
    msgpack.packb(session.get_page_patch(), default=_encode)
    _context_page.set(session.page)
    result = main(session.page)
    if asyncio.iscoroutine(result):
        await result
    await session.after_event(session.page)
    await settle()
    return Harness(session)


def walk(c: Any, seen: set[int] | None = None) -> Iterator[Any]:
    seen = set() if seen is None else seen
    c = unwrap_component(c)
    if isinstance(c, list):
        for x in c:
            yield from walk(x, seen)
        return
    if not isinstance(c, BaseControl) or id(c) in seen:
        return
    if isinstance(c, ft.DialogControl) and not c.open:
        return  # a closed dialog is not on the screen (the browser's dismiss would remove it)
    seen.add(id(c))
    yield c
    for f in (
        "views", "controls", "content", "appbar", "title", "subtitle", "actions", "leading", "trailing",
        "navigation_bar", "overlay", "_dialogs",
    ):  # fmt: skip
        if f == "controls" and isinstance(c, ft.Page):
            continue
        v = getattr(c, f, None)
        if v is not None:
            yield from walk(v, seen)
