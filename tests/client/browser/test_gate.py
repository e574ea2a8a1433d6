"""The launcher's web view: 127.0.0.1 only, and nothing without this launch's secret."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Served, serve


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real launcher (``python -m client``, what ``yongdon app`` runs) on the real core."""
    data = tmp_path_factory.mktemp("appdata")
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "YONGDON_APP_VIEW": "web"}
    yield from serve(
        ["-m", "client", "--no-browser", "--port", "{port}", "--data-dir", str(data)], env, prints_link=True
    )


def test_requests_without_the_secret_get_403(launched: Served) -> None:
    with httpx.Client(base_url=launched.base) as client:
        assert client.get("/").status_code == 403
        assert client.get("/fonts/NanumGothic.ttf").status_code == 403
        assert client.get("/?key=wrong").status_code == 403
        assert client.get("/", headers={"cookie": "yongdon_ui=wrong"}).status_code == 403


def test_the_secret_in_the_link_becomes_a_strict_httponly_cookie(launched: Served) -> None:
    with httpx.Client(base_url=launched.base) as client:
        first = client.get(f"/?key={launched.secret}")
        assert first.status_code == 303 and first.headers["location"] == "/"  # the secret leaves the URL
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = client.get("/")  # the client kept the cookie
        assert page.status_code == 200 and "flutter" in page.text.lower()
        assert client.get("/fonts/NanumGothic.ttf").status_code == 200


def test_the_live_socket_needs_the_cookie_too(launched: Served) -> None:
    request = (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{launched.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", launched.port), 2) as s:
        s.sendall(request.encode())
        status = s.recv(200).split(b"\r\n")[0]
    assert b" 403 " in status


def test_it_listens_on_127_0_0_1_only(launched: Served) -> None:
    # bound to every interface it would also answer on 127.0.0.2 (and the LAN address)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", launched.port), 1):
        pass
