"""``yongdon app``: the desktop window where Flet's desktop client is available, else the web view.

The web view is a Python process serving the UI to a browser tab. Flet's web server has no login
and any user of the same computer can reach a local port, so it binds 127.0.0.1 only and every
request must carry this launch's secret: it arrives once in the URL the launcher opens (``?key=…``),
becomes an HttpOnly, SameSite=Strict cookie, and the address bar is redirected to drop it. Requests
and WebSockets without the cookie get 403.
"""

from __future__ import annotations

import hmac
import importlib.util
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import flet as ft

from .config import AppConfig, load_config, resolve_data_dir

__all__ = ["COOKIE", "HOST", "SecretGate", "build_web_app", "desktop_available", "launch"]

HOST = "127.0.0.1"
COOKIE = "yongdon_ui"
KEY_PARAM = "key"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class SecretGate:
    """ASGI middleware: only a browser holding this launch's secret reaches the app."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app, self.secret = app, secret

    def _matches(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.secret.encode())

    def _cookie(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value.decode("latin-1"))
                if COOKIE in jar:
                    return jar[COOKIE].value
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        if self._matches(self._cookie(scope)):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = next((v for k, v in query if k == KEY_PARAM), None)
        if scope["type"] == "http" and self._matches(offered):
            rest = urlencode([(k, v) for k, v in query if k != KEY_PARAM])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={self.secret}; HttpOnly; SameSite=Strict; Path=/"
            await _respond(
                send, 303, b"", [(b"location", location.encode()), (b"set-cookie", cookie.encode())]
            )
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403
            return
        await _respond(send, 403, b"Open Yongdon from the link the app printed.\n", [])


async def _respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store"), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_web_app(main: Callable[[ft.Page], Any], config: AppConfig, secret: str) -> SecretGate:
    """Flet's web app (no CDN: it must work offline) behind the secret gate."""
    asgi = ft.run(
        main,
        view=ft.AppView.WEB_BROWSER,
        assets_dir=str(config.assets_dir),
        no_cdn=True,
        export_asgi_app=True,
    )
    return SecretGate(asgi, secret)


def desktop_available(env: MutableMapping[str, str] | None = None) -> bool:
    """Flet's desktop client needs the flet-desktop package and, on Linux, a display."""
    env = os.environ if env is None else env
    if env.get("YONGDON_APP_VIEW") == "web" or importlib.util.find_spec("flet_desktop") is None:
        return False
    return not sys.platform.startswith("linux") or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_runtime(data_dir: Path) -> Any:
    from .runtime import Runtime
    from .vault import KeyringVault

    return Runtime.open(data_dir, vault=KeyringVault())


def launch(
    *,
    server_url: str | None = None,
    data_dir: str | None = None,
    port: int | None = None,
    open_browser: bool = True,
    demo_credentials: str | None = None,
) -> None:
    """Run the app until interrupted (``yongdon app``; ``yongdon demo`` adds its credentials file)."""
    from .app import make_main
    from .demo import Demo

    config = load_config()
    if server_url:
        config = replace(config, default_server_url=server_url)
    data = resolve_data_dir(data_dir, product=config.product)
    data.mkdir(parents=True, exist_ok=True)
    demo = Demo.load(Path(demo_credentials), config.default_server_url) if demo_credentials else None
    if demo is not None:
        end_with_launcher()
    main = make_main(open_runtime(data), config, data_dir=data, demo=demo)
    if desktop_available():
        ft.run(main, view=ft.AppView.FLET_APP, assets_dir=str(config.assets_dir))
        return
    serve_web(main, config, port or config.web_port, open_browser=open_browser)


def end_with_launcher() -> None:
    """``yongdon demo`` holds this process's stdin open: when the demo ends however it ends (a
    SIGTERM or a kill does not reach its children), stdin closes and this app ends too, instead of
    keeping its port and its database busy for the next demo."""
    import signal
    import threading

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="yongdon-launcher-watch", daemon=True).start()


def serve_web(main: Callable[[ft.Page], Any], config: AppConfig, port: int, *, open_browser: bool) -> None:
    import uvicorn

    secret = secrets.token_urlsafe(32)
    app = build_web_app(main, config, secret)
    url = f"http://{HOST}:{port}/?{KEY_PARAM}={secret}"

    class Listening(uvicorn.Server):
        """Gives out the link once the socket listens: a link printed (or a browser opened) before
        that meets "connection refused" on a slow machine."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if not self.started:
                return
            # printed for the person who launched it (their own terminal); it is never logged
            print(f"Yongdon is open at {url}", flush=True)
            if open_browser:
                import webbrowser

                webbrowser.open(url)

    Listening(uvicorn.Config(app, host=HOST, port=port, log_level="warning", access_log=False)).run()
