"""Routes of a parent's sign-in through an OpenID Connect provider (the flow: ``oidc``).

The app's three (``/api/auth/oidc/…``: which providers, begin a flow, exchange it for tokens) and
the browser's two (``/auth/oidc/{provider}/start`` and ``…/callback``). All are public: a sign-in
has no caller yet; the tokens are issued through the gateway's ``signing_in`` pass, as for a
password. The callback answers a page to a browser, problem details to any other client.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from sync.errors import ProtocolCode

from ..db import Database
from ..errors import DomainError
from ..gateway import Gateway, provide_gateway
from ..pages import html, page
from ..problems import documented, status_of
from ..settings import Settings
from . import services
from .oidc import COOKIE, FLOW_TTL, Oidc
from .schemas import OidcFlowIn, OidcFlowOut, OidcPollIn, OidcProvidersOut, TokensOut

__all__ = ["ROUTES"]

_PUBLIC: dict[str, Any] = {"exclude_from_auth": True, "security": [{}]}
_CODES = [
    ProtocolCode.OIDC_PENDING,
    ProtocolCode.OIDC_STATE_INVALID,
    ProtocolCode.OIDC_TOKEN_INVALID,
    ProtocolCode.OIDC_CANCELLED,
    ProtocolCode.OIDC_EMAIL_UNVERIFIED,
    ProtocolCode.OIDC_NO_PARENT,
]
Opaque = Annotated[str, QueryParameter(max_length=2000)]

_DONE = {
    "ko": ("로그인했어요", "이 창을 닫고 용돈 앱으로 돌아가세요. 앱이 알아서 이어져요."),
    "en": ("You are signed in", "Close this page and go back to the Yongdon app: it carries on by itself."),
}
_REFUSED: dict[str, dict[str, str]] = {
    "ko": {
        ProtocolCode.OIDC_STATE_INVALID: "이 로그인은 이미 쓰였거나 시간이 지났어요. 앱에서 다시 시작하세요.",
        ProtocolCode.OIDC_TOKEN_INVALID: "로그인 서비스의 답을 확인할 수 없었어요. 앱에서 다시 시작하세요.",
        ProtocolCode.OIDC_CANCELLED: "로그인을 취소했어요.",
        ProtocolCode.OIDC_EMAIL_UNVERIFIED: "로그인 서비스가 이메일을 확인해 주지 않았어요. "
        "이메일과 비밀번호로 로그인하세요.",
        ProtocolCode.OIDC_NO_PARENT: "이 이메일을 쓰는 부모 계정이 이 서버에 없어요. 먼저 앱에서 가입하세요.",
    },
    "en": {
        ProtocolCode.OIDC_STATE_INVALID: "This sign-in was already used or has expired. "
        "Start again in the app.",
        ProtocolCode.OIDC_TOKEN_INVALID: "The sign-in service's answer could not be verified. "
        "Start again in the app.",
        ProtocolCode.OIDC_CANCELLED: "You cancelled the sign-in.",
        ProtocolCode.OIDC_EMAIL_UNVERIFIED: "The sign-in service does not vouch for your e-mail. "
        "Sign in with your e-mail and password.",
        ProtocolCode.OIDC_NO_PARENT: "No parent on this server uses this e-mail. Register in the app first.",
    },
}
_FAILED = {"ko": "로그인하지 못했어요", "en": "Sign-in failed"}
_OTHER = {"ko": "잠시 후 앱에서 다시 시작하세요.", "en": "Start again in the app in a moment."}


def _oidc(state: State) -> Oidc:
    oidc: Oidc = state.oidc
    return oidc


def _lang(request: Request[Any, Any, Any]) -> str:
    return "en" if request.headers.get("accept-language", "ko").lower().startswith("en") else "ko"


def _refusal_page(request: Request[Any, Any, Any], refusal: DomainError) -> Response[str]:
    if "text/html" not in request.headers.get("accept", ""):
        raise refusal
    lang = _lang(request)
    lines = [_REFUSED[lang].get(refusal.code, _OTHER[lang]), f"({refusal.code})"]
    return html(page(lang, _FAILED[lang], lines, ok=False), status_of(refusal.code))


class OidcController(Controller):
    path = "/api/auth/oidc"
    tags = ["accounts"]

    @get("/providers", operation_id="oidcProviders", responses=documented(429), **_PUBLIC)
    async def providers(self, state: State) -> OidcProvidersOut:
        """The sign-in providers this server's operator registered (the app's buttons)."""
        return OidcProvidersOut(providers=list(_oidc(state).providers))

    @post(
        "/flows",
        operation_id="beginOidcSignIn",
        responses=documented(404, 422, 429, 502),
        status_code=201,
        **_PUBLIC,
    )
    async def begin(self, data: JSONBody[OidcFlowIn], state: State) -> OidcFlowOut:
        """Begin a parent's sign-in through a provider on this device: the browser's address and
        the app's ``poll_secret``."""
        return OidcFlowOut(**await _oidc(state).begin(data.provider, data.client_id, data.device_name))

    @post(
        "/flows/{flow_id:str}/tokens",
        operation_id="finishOidcSignIn",
        responses=documented(400, 401, 403, 404, 409, 422, 429, codes=_CODES),
        status_code=200,
        dependencies={"gateway": Provide(provide_gateway, sync_to_thread=False)},
        **_PUBLIC,
    )
    async def tokens(
        self,
        flow_id: FromPath[str],
        data: JSONBody[OidcPollIn],
        state: State,
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        """The flow's session tokens, once the browser came back (``OIDC_PENDING`` until then)."""
        flow = await _oidc(state).take(flow_id, data.poll_secret)
        assert flow.user_id is not None
        answer = await anyio.to_thread.run_sync(
            lambda: services.provider_sign_in(
                gateway.accounts,
                settings,
                flow.user_id or "",
                flow.family_id,
                flow.client_id,
                flow.device_name,
            )
        )
        return TokensOut(**answer)


class OidcBrowserController(Controller):
    path = "/auth/oidc/{provider:str}"
    tags = ["accounts"]

    @get(
        "/start",
        operation_id="startOidcSignIn",
        media_type=MediaType.HTML,
        responses=documented(400, 404, 502),
        status_code=302,
        **_PUBLIC,
    )
    async def start(
        self, request: Request[Any, Any, Any], provider: FromPath[str], state: State, flow: Opaque = ""
    ) -> Response[Any]:
        """The browser leaves for the provider with this flow's ``state``, ``nonce`` and PKCE challenge."""
        oidc = _oidc(state)
        try:
            url, browser = await oidc.start(provider, flow, request.cookies.get(COOKIE))
        except DomainError as refusal:
            return _refusal_page(request, refusal)
        cookie = Cookie(
            key=COOKIE,
            value=browser,
            max_age=FLOW_TTL,
            path="/auth/oidc",
            httponly=True,
            secure=oidc.base.startswith("https://"),
            samesite="lax",  # Strict is not sent on the provider's redirect back (a cross-site navigation)
        )
        return Redirect(url, cookies=[cookie], headers={"Cache-Control": "no-store"})

    @get(
        "/callback",
        operation_id="oidcCallback",
        media_type=MediaType.HTML,
        responses=documented(400, 401, 403, 404, 502, codes=_CODES[1:]),
        **_PUBLIC,
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        provider: FromPath[str],
        state: State,
        db: NamedDependency[Database],
        code: Opaque = "",
        error: Opaque = "",
        # ``state`` is Litestar's own name (the app's State): the provider's is read under another
        oauth_state: Annotated[str, QueryParameter(name="state", max_length=200)] = "",
    ) -> Response[str]:
        """The provider's answer: checked, then the page that sends the parent back to the app."""
        oidc = _oidc(state)
        try:
            flow_id, claims = await oidc.callback(
                provider, oauth_state, code, error, request.cookies.get(COOKIE)
            )
            email = str(claims["email"])
            found = await anyio.to_thread.run_sync(lambda: _parent(db, email))
            if found is None:
                raise await oidc.refuse(
                    flow_id,
                    DomainError(ProtocolCode.OIDC_NO_PARENT, "no parent of this server has this e-mail"),
                )
            await oidc.signed_in(flow_id, *found)
        except DomainError as refusal:
            return _refusal_page(request, refusal)
        lang = _lang(request)
        title, lead = _DONE[lang]
        return html(page(lang, title, [lead], ok=True))


def _parent(db: Database, email: str) -> tuple[str, str | None] | None:
    with db.read() as session:
        parent = services.find_parent(session, email)
        return (parent.id, parent.family_id) if parent is not None else None


ROUTES: list[Any] = [OidcController, OidcBrowserController]
