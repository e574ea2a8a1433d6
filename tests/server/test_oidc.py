"""A parent signs in through an OpenID Connect provider, end to end against a real one running here
(``oidc-provider-mock``, an Authlib server, in a thread): the app begins a flow, the "browser" starts
it on our server, picks a user at the provider, comes back to the callback, and the app exchanges the
flow for its tokens. Then the attacks: a forged ``state``, a replayed callback, an old code with a
fresh ``state``, a changed ``nonce``, an e-mail the provider does not vouch for, an e-mail no parent
has, another browser, and a child that must never be reached."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import run_server_in_thread

from server.db.models import User
from server.settings import OidcProvider, Settings, SettingsError
from tests.helpers import Family, bearer, register_parent

KIM, LEE, KID, STRANGER = "kim@example.com", "lee@example.com", "kid@example.com", "nobody@example.com"
PEOPLE = [
    ProviderUser(sub="kim", claims={"email": KIM, "email_verified": True}),
    ProviderUser(sub="lee", claims={"email": LEE, "email_verified": False}),
    ProviderUser(sub="kid", claims={"email": KID, "email_verified": True}),
    ProviderUser(sub="stranger", claims={"email": STRANGER, "email_verified": True}),
]
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is plain http on this machine
        with run_server_in_thread(require_nonce=True, user_claims=PEOPLE) as provider:
            yield f"http://localhost:{provider.server_port}"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, issuer: str) -> Settings:
    google = OidcProvider("google", issuer, "yongdon-test", "a-client-secret")
    return make_settings(
        database_url=database_url, public_url="http://testserver.local", oidc_providers=(google,)
    )


class Browser:
    """The app and the system browser, as one test sees them."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def begin(self) -> dict[str, Any]:
        body = {"provider": "google", "client_id": f"dev-{uuid.uuid4().hex}", "device_name": "폰"}
        answer = self.client.post("/api/auth/oidc/flows", json=body)
        assert answer.status_code == 201, answer.text
        return {**answer.json(), "client_id": body["client_id"]}

    def start(self, flow: dict[str, Any]) -> str:
        """Our server's redirect to the provider's authorization address."""
        path = urlsplit(flow["url"])
        answer = self.client.get(f"{path.path}?{path.query}", follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["location"])

    @staticmethod
    def choose(authorize: str, sub: str) -> dict[str, str]:
        """The parent picks an account at the provider: the query of the redirect back to us."""
        answer = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["location"])
        assert back.path == "/auth/oidc/google/callback"
        return {k: v[0] for k, v in parse_qs(back.query).items()}

    def callback(self, query: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(f"/auth/oidc/google/callback?{urlencode(query)}", headers=headers)

    def tokens(self, flow: dict[str, Any]) -> httpx.Response:
        return self.client.post(
            f"/api/auth/oidc/flows/{flow['flow_id']}/tokens", json={"poll_secret": flow["poll_secret"]}
        )

    def sign_in(self, sub: str) -> tuple[dict[str, Any], dict[str, str], httpx.Response]:
        flow = self.begin()
        query = self.choose(self.start(flow), sub)
        return flow, query, self.callback(query, HTML)


@pytest.fixture
def browser(client: TestClient[Any]) -> Browser:
    return Browser(client)


def _code(answer: httpx.Response) -> str:
    return str(answer.json()["code"])


def test_a_family_server_offers_no_provider_by_default(make_settings: Callable[..., Settings]) -> None:
    from server.app import create_app

    app: Litestar = create_app(make_settings())
    with TestClient(app) as client:
        assert client.get("/api/auth/oidc/providers").json() == {"providers": []}
        begun = client.post("/api/auth/oidc/flows", json={"provider": "google", "client_id": "dev-12345678"})
        assert begun.status_code == 404
    app.state.db.dispose()


def test_a_parent_signs_in_with_a_verified_email(client: TestClient[Any], browser: Browser) -> None:
    parent = register_parent(client, email=KIM)
    assert client.get("/api/auth/oidc/providers").json() == {"providers": ["google"]}
    flow = browser.begin()
    authorize = browser.start(flow)
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["state"][0] and asked["nonce"][0] and asked["client_id"] == ["yongdon-test"]
    assert asked["redirect_uri"] == ["http://testserver.local/auth/oidc/google/callback"]

    early = browser.tokens(flow)  # the browser is still at the provider
    assert (early.status_code, _code(early)) == (409, "OIDC_PENDING")

    page = browser.callback(browser.choose(authorize, "kim"), HTML)
    assert page.status_code == 200 and "로그인했어요" in page.text

    answer = browser.tokens(flow)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["user_id"] == parent.user_id and tokens["role"] == "parent"
    assert tokens["client_id"] == flow["client_id"]
    family = client.get("/api/family", headers=bearer(tokens["access_token"]))
    assert family.status_code == 200
    # the flow is spent: the app's secret gets nothing twice
    again = browser.tokens(flow)
    assert (again.status_code, _code(again)) == (404, "NOT_FOUND")


def test_a_forged_state_is_refused(client: TestClient[Any], browser: Browser) -> None:
    register_parent(client, email=KIM)
    flow = browser.begin()
    query = browser.choose(browser.start(flow), "kim")
    forged = browser.callback({**query, "state": "forged-" + query["state"][7:]})
    assert (forged.status_code, _code(forged)) == (400, "OIDC_STATE_INVALID")
    page = browser.callback({**query, "state": "x"}, HTML)
    assert page.status_code == 400 and "OIDC_STATE_INVALID" in page.text
    pending = browser.tokens(flow)  # nothing happened to the real flow
    assert _code(pending) == "OIDC_PENDING"


def test_a_replayed_code_is_refused(client: TestClient[Any], browser: Browser) -> None:
    register_parent(client, email=KIM)
    flow, query, page = browser.sign_in("kim")
    assert page.status_code == 200
    replayed = browser.callback(query)  # the same callback again: its transaction is gone
    assert (replayed.status_code, _code(replayed)) == (400, "OIDC_STATE_INVALID")
    # the old code with a fresh, valid state: the provider refuses the used code
    fresh = browser.begin()
    state = parse_qs(urlsplit(browser.start(fresh)).query)["state"][0]
    reused = browser.callback({"code": query["code"], "state": state})
    assert (reused.status_code, _code(reused)) == (401, "OIDC_TOKEN_INVALID")
    refused = browser.tokens(fresh)
    assert (refused.status_code, _code(refused)) == (401, "OIDC_TOKEN_INVALID")
    assert browser.tokens(flow).status_code == 200  # the genuine sign-in still stands


def test_a_wrong_nonce_is_refused(client: TestClient[Any], browser: Browser) -> None:
    register_parent(client, email=KIM)
    flow = browser.begin()
    authorize = urlsplit(browser.start(flow))
    asked = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    # someone changed the nonce on the way: the provider signs a token for another nonce
    changed = urlunsplit(authorize._replace(query=urlencode({**asked, "nonce": "an-attacker-nonce"})))
    answer = browser.callback(browser.choose(changed, "kim"))
    assert (answer.status_code, _code(answer)) == (401, "OIDC_TOKEN_INVALID")
    assert _code(browser.tokens(flow)) == "OIDC_TOKEN_INVALID"


def test_an_unverified_email_is_refused(client: TestClient[Any], browser: Browser) -> None:
    register_parent(client, email=LEE)  # the address is the parent's, but the provider does not vouch for it
    flow, _, page = browser.sign_in("lee")
    assert page.status_code == 403 and "OIDC_EMAIL_UNVERIFIED" in page.text
    answer = browser.tokens(flow)
    assert (answer.status_code, _code(answer)) == (403, "OIDC_EMAIL_UNVERIFIED")


def test_an_email_no_parent_has_creates_nothing(client: TestClient[Any], browser: Browser) -> None:
    flow, _, page = browser.sign_in("stranger")
    assert page.status_code == 403 and "OIDC_NO_PARENT" in page.text
    assert _code(browser.tokens(flow)) == "OIDC_NO_PARENT"
    registered = client.post(
        "/api/users/register",
        json={
            "email": STRANGER,
            "password": "correct horse battery staple",
            "display_name": "새 부모",
            "family_name": "새집",
            "locale": "ko",
            "client_id": f"dev-{uuid.uuid4().hex}",
        },
    )
    assert registered.status_code == 201  # no account was made for the e-mail behind their back


def test_a_child_is_never_reached(app: Litestar, client: TestClient[Any], browser: Browser) -> None:
    fam = Family.create(client)
    kid = fam.child("지우")
    # even a child row that somehow carries a verified e-mail is no parent
    with app.state.db.write(fam.family_id) as session:
        row = session.get(User, kid.user_id)
        assert row is not None
        row.email = KID
    flow, _, page = browser.sign_in("kid")
    assert page.status_code == 403 and "OIDC_NO_PARENT" in page.text
    answer = browser.tokens(flow)
    assert (answer.status_code, _code(answer)) == (403, "OIDC_NO_PARENT")


def test_another_browser_cannot_finish_the_flow(client: TestClient[Any], browser: Browser) -> None:
    register_parent(client, email=KIM)
    flow = browser.begin()
    query = browser.choose(browser.start(flow), "kim")
    client.cookies.clear()  # the callback arrives in a browser that did not start it
    answer = browser.callback(query)
    assert (answer.status_code, _code(answer)) == (400, "OIDC_STATE_INVALID")
    assert _code(browser.tokens(flow)) == "OIDC_STATE_INVALID"


def test_a_start_address_works_once(client: TestClient[Any], browser: Browser) -> None:
    flow = browser.begin()
    browser.start(flow)
    path = urlsplit(flow["url"])
    again = client.get(f"{path.path}?{path.query}", follow_redirects=False, headers=HTML)
    assert again.status_code == 400 and "OIDC_STATE_INVALID" in again.text


def test_the_operator_registers_providers_in_the_environment() -> None:
    env = {
        "YONGDON_JWT_SECRET": "j" + uuid.uuid4().hex + uuid.uuid4().hex,
        "YONGDON_PIN_PEPPER": "p" + uuid.uuid4().hex + uuid.uuid4().hex,
        "YONGDON_OIDC_PROVIDERS": "google, Kakao",
        "YONGDON_OIDC_GOOGLE_CLIENT_ID": "g-id",
        "YONGDON_OIDC_GOOGLE_CLIENT_SECRET": "g-secret",
        "YONGDON_OIDC_KAKAO_CLIENT_ID": "k-id",
        "YONGDON_OIDC_KAKAO_CLIENT_SECRET": "k-secret",
        "YONGDON_OIDC_KAKAO_SCOPE": "openid account_email",
    }
    google, kakao = Settings.from_env(env).oidc_providers
    assert (google.name, google.issuer, google.client_id) == ("google", "https://accounts.google.com", "g-id")
    assert (kakao.issuer, kakao.scope) == ("https://kauth.kakao.com", "openid account_email")
    assert Settings.from_env({k: v for k, v in env.items() if "PROVIDERS" not in k}).oidc_providers == ()
    with pytest.raises(SettingsError, match="YONGDON_OIDC_KAKAO_CLIENT_SECRET"):
        Settings.from_env({k: v for k, v in env.items() if k != "YONGDON_OIDC_KAKAO_CLIENT_SECRET"})
    with pytest.raises(SettingsError, match="YONGDON_OIDC_ACME_ISSUER"):  # an unknown name needs its issuer
        Settings.from_env({**env, "YONGDON_OIDC_PROVIDERS": "acme"})


@pytest.mark.redis
def test_flows_live_in_redis_for_several_processes(
    make_settings: Callable[..., Settings], database_url: str, issuer: str, redis_url: str
) -> None:
    """Two server processes on one Redis: the browser's start and callback reach one, the app's
    poll the other, and the flow is still used once."""
    from server.app import create_app

    google = OidcProvider("google", issuer, "yongdon-test", "a-client-secret")
    settings = make_settings(
        database_url=database_url,
        public_url="http://testserver.local",
        oidc_providers=(google,),
        redis_url=redis_url,
        redis_prefix=f"t{uuid.uuid4().hex}",
    )
    one, two = create_app(settings), create_app(settings)
    try:
        with TestClient(one) as first, TestClient(two) as second:
            parent = register_parent(first, email=KIM)
            flow, _, page = Browser(first).sign_in("kim")
            assert page.status_code == 200
            answer = Browser(second).tokens(flow)
            assert answer.status_code == 200 and answer.json()["user_id"] == parent.user_id
            assert Browser(first).tokens(flow).status_code == 404
    finally:
        one.state.db.dispose()
        two.state.db.dispose()
