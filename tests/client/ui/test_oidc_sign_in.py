"""A parent taps "Continue with Google" on the first screen, finishes in the browser, and the app opens
the family by itself: the real client core and screens, the real server, and a real OpenID Connect
provider running here (``oidc-provider-mock``). A server whose operator registered no provider shows
no such button, and a provider's refusal is explained on the screen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flet as ft
import httpx
import pytest
from litestar.testing import TestClient
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import run_server_in_thread

from client.app import make_main
from client.config import load_config
from server.app import create_app
from server.market.clock import FixedMarketClock
from server.settings import OidcProvider
from tests.client.core.conftest import (  # noqa: F401
    BASE_URL,
    Server,
    anyio_backend,
    make_runtime,
    server,
    server_settings,
)
from tests.conftest import MovableClock
from tests.helpers import PASSWORD

from .harness import Harness, start, walk

pytestmark = pytest.mark.anyio
MOM, STRANGER = "mom@example.org", "stranger@example.org"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    people = [
        ProviderUser(sub="mom", claims={"email": MOM, "email_verified": True}),
        ProviderUser(sub="stranger", claims={"email": STRANGER, "email_verified": True}),
    ]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is plain http on this machine
        with run_server_in_thread(require_nonce=True, user_claims=people) as provider:
            yield f"http://localhost:{provider.server_port}"


@pytest.fixture
def google_server(tmp_path: Path, sqlite_template: Path, issuer: str) -> Iterator[Server]:
    google = OidcProvider("google", issuer, "yongdon-app", "a-client-secret")
    settings = server_settings(
        tmp_path / "server", sqlite_template, public_url=BASE_URL, oidc_providers=(google,)
    )
    clock = MovableClock()
    app = create_app(settings, clock=clock)
    app.state.market_clock = FixedMarketClock()
    served = Server(TestClient(app, base_url=BASE_URL), clock, app, settings)
    served.client.__enter__()
    yield served
    served.stop()


async def first_screen(server: Server, tmp_path: Path) -> tuple[Harness, Any]:  # noqa: F811
    runtime, _, _ = await make_runtime(server, tmp_path / "laptop")
    main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
    h = await start(main, "/")
    assert h.route == "/enroll"
    await h.type("enroll-server", BASE_URL)
    await h.fire(h.by_id("enroll-server"), "blur")  # the server's providers are asked for
    return h, runtime


async def until(check: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the screen never got there")


def browse(server: Server, h: Harness, sub: str) -> None:  # noqa: F811
    """What the system browser does with the screen's link: our server, the provider, and back."""
    (link,) = [c.url.url for c in walk(h.by_id("enroll-oidc-open")) if getattr(c, "url", None)]
    address = urlsplit(link)
    assert f"{address.scheme}://{address.netloc}" == BASE_URL
    to_provider = server.client.get(f"{address.path}?{address.query}", follow_redirects=False)
    assert to_provider.status_code == 302
    chosen = httpx.post(to_provider.headers["location"], data={"sub": sub}, follow_redirects=False)
    back = urlsplit(chosen.headers["location"])
    page = server.client.get(f"{back.path}?{back.query}", headers={"Accept": "text/html"})
    assert page.status_code in (200, 403), page.text
    assert parse_qs(back.query)["state"]


async def test_a_parent_continues_with_google(google_server: Server, tmp_path: Path) -> None:
    mom_rt, _, _ = await make_runtime(google_server, tmp_path / "mom")
    mom = await mom_rt.register_parent(BASE_URL, MOM, PASSWORD, "엄마", "phone")
    h, runtime = await first_screen(google_server, tmp_path)
    await until(lambda: h.has_id("enroll-oidc-google"))
    labels = [c.content for c in walk(h.by_id("enroll-oidc-google")) if isinstance(c, ft.OutlinedButton)]
    assert labels == ["Continue with Google"]

    tap = asyncio.create_task(h.click("enroll-oidc-google"))
    await until(lambda: h.has_id("enroll-oidc-open"))
    assert h.text_of("enroll-oidc-waiting").startswith("Open the sign-in page and finish there")
    browse(google_server, h, "mom")
    await tap
    await until(lambda: h.route == "/parent")
    profile = runtime.active
    assert profile is not None
    assert (profile.identity.user_id, profile.identity.role) == (mom.identity.user_id, "parent")
    assert profile.identity.family_id == mom.identity.family_id
    assert profile.store.meta()["email"] == MOM  # a later unlock signs in with it


async def test_an_email_no_parent_has_is_explained(google_server: Server, tmp_path: Path) -> None:
    h, runtime = await first_screen(google_server, tmp_path)
    await until(lambda: h.has_id("enroll-oidc-google"))
    tap = asyncio.create_task(h.click("enroll-oidc-google"))
    await until(lambda: h.has_id("enroll-oidc-open"))
    browse(google_server, h, "stranger")
    await tap
    await until(lambda: h.has_id("enroll-error"))
    assert h.text_of("enroll-error").startswith("No parent on this server uses that e-mail")
    assert h.route == "/enroll" and runtime.active is None and not h.has_id("enroll-oidc-open")


async def test_a_server_without_providers_shows_no_button(server: Server, tmp_path: Path) -> None:  # noqa: F811
    h, _ = await first_screen(server, tmp_path)
    await asyncio.sleep(0.3)
    assert not [i for i in ("enroll-oidc-google", "enroll-oidc-kakao") if h.has_id(i)]
    assert h.has_id("enroll-sign-in")
