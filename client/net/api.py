"""``ApiClient``: the server's HTTP API on ``httpx.AsyncClient``, with token refresh.

Every failure is an :class:`ApiError` carrying the server's stable problem ``code``; a failure to
reach the server at all is ``ApiError(0, "OFFLINE")``. Any request that meets a 401 refreshes the
access token and is sent again (:class:`_RefreshAuth`). Refresh tokens rotate on every use and
presenting a rotated one ends the whole session (security.md), so :meth:`ApiClient.refresh` is the
one way to refresh: one refresh at a time per session (a lock), none at all when another caller has
already replaced the token that failed, and the new refresh token goes into the vault *before* the
new access token is used. A refresh the server refuses ends the session (``Session.on_end``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec

from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse

from ..clock import utcnow
from ..vault import TokenVault

__all__ = ["ApiClient", "ApiError", "Session"]

OFFLINE = "OFFLINE"
_REFRESH_PATH = "/api/auth/refresh"
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
STEP_UP_S = 300.0


class ApiError(Exception):
    """An HTTP failure with the server's stable ``code`` (``OFFLINE`` with status 0: no network)."""

    def __init__(
        self, status: int, code: str, detail: dict[str, Any] | None = None, *, retry_after: float = 0.0
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.detail = status, code, detail or {}
        self.retry_after = retry_after  # seconds the server asked us to wait (429, a busy 503)

    @property
    def offline(self) -> bool:
        return self.status == 0


@dataclass
class Session:
    """The tokens of one identity: access (memory only), elevated (memory only), refresh (vault)."""

    client_id: str
    vault: TokenVault
    clock: Callable[[], datetime] = utcnow
    access: str | None = None
    elevated: str | None = None
    elevated_until: datetime | None = None
    signed_out: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refreshes: int = 0  # how many times the refresh token was used (tests and diagnostics)
    on_end: Callable[[], None] | None = None  # the server refused the refresh token (once per sign-in)

    def bearer(self) -> str | None:
        """The elevated token while it is valid (parent actions need it), else the plain one."""
        if self.elevated and self.elevated_until and self.clock() < self.elevated_until:
            return self.elevated
        return self.access

    def is_elevated(self) -> bool:
        return self.bearer() is not None and self.bearer() == self.elevated

    async def adopt(self, tokens: dict[str, Any]) -> None:
        """Take a fresh token pair: the refresh token is stored first (a crash loses nothing)."""
        await self.vault.set(self.client_id, str(tokens["refresh_token"]))
        self.access, self.signed_out = str(tokens["access_token"]), False
        self.elevated = self.elevated_until = None  # a refresh never carries the step-up along

    def elevate(self, token: str, expires_in: float) -> None:
        self.elevated = token
        # a few seconds' margin: a token that expires in flight costs a 401 and a lost step-up
        self.elevated_until = self.clock() + timedelta(seconds=max(0.0, expires_in - 10))

    def forget(self) -> None:
        self.access = self.elevated = self.elevated_until = None

    def replaced(self, failed: str | None) -> bool:
        """True when the token a request failed with is no longer this session's (someone else
        refreshed, or stepped up, meanwhile): retry with the current one instead of refreshing."""
        return self.access is not None and failed not in (self.access, self.elevated)

    async def end(self) -> None:
        """The server refused the refresh token (expired, revoked, or reused): nothing is left to
        retry with. The screens are told once (a child unlocks with the PIN, a parent signs in)."""
        await self.vault.delete(self.client_id)
        self.forget()
        first, self.signed_out = not self.signed_out, True
        if first and self.on_end is not None:
            self.on_end()


class _RefreshAuth(httpx.Auth):
    """Sends the bearer; on a 401, refreshes through the client (once per session) and resends."""

    requires_response_body = True

    def __init__(self, session: Session, refresh: Callable[[str | None], Awaitable[str]]) -> None:
        self.session, self.refresh = session, refresh

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        sent_with = self.session.bearer()
        if sent_with:
            request.headers["Authorization"] = f"Bearer {sent_with}"
        response = yield request
        if response.status_code != 401:
            return
        await self.refresh(sent_with)  # an ApiError (refused, offline) is this request's answer
        token = self.session.bearer()
        if token is None or token == sent_with:
            return
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("ApiClient is async only")


def _problem(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = {}
    if not isinstance(body, dict):
        body = {"body": body}
    code = body.get("code") or (
        "UNAUTHENTICATED" if response.status_code == 401 else f"HTTP_{response.status_code}"
    )
    return ApiError(response.status_code, str(code), body, retry_after=_seconds(response.headers))


def _seconds(headers: httpx.Headers) -> float:
    """``Retry-After`` in seconds (its HTTP-date form is not sent by our server), bounded to an hour."""
    try:
        return min(3600.0, max(0.0, float(headers.get("retry-after", "0"))))
    except ValueError:
        return 0.0


class ApiClient:
    """One identity's view of one server. ``transport`` is injectable (tests: ASGI or a fault net)."""

    def __init__(
        self,
        server_url: str,
        session: Session,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server_url, self.session = server_url.rstrip("/"), session
        self.http = httpx.AsyncClient(
            base_url=self.server_url,
            transport=transport,
            auth=_RefreshAuth(session, self.refresh_after),
            timeout=_TIMEOUT,
            headers={"Accept": "application/json"},
        )
        self.on_reach: Callable[[bool], None] = lambda ok: None  # the profile's sync state listens

    async def close(self) -> None:
        await self.http.aclose()

    def move_to(self, server_url: str) -> None:
        """The same server at a new address: requests go there from now on; the session stays."""
        self.server_url = server_url.rstrip("/")
        self.http.base_url = httpx.URL(self.server_url)

    # -- plumbing ---------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer (``None`` for 204) or an :class:`ApiError`."""
        response = await self._send(
            method,
            path,
            json=json_body,
            params=params,
            headers=headers,
            auth=httpx.USE_CLIENT_DEFAULT if auth else _NoAuth(),
        )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def download(self, path: str, params: dict[str, Any] | None = None) -> tuple[bytes, str]:
        """A file the server answers (an export): its bytes and the name the server gave it."""
        response = await self._send("GET", path, params=params)
        disposition = response.headers.get("content-disposition", "")
        name = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else "yongdon.zip"
        return response.content, name

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One exchange: no network is ``OFFLINE``; an answer of 400 or more its :class:`ApiError`."""
        try:
            response = await self.http.request(method, path, **options)
        except httpx.TransportError as error:
            self.on_reach(False)
            raise ApiError(0, OFFLINE, {"error": type(error).__name__}) from error
        self.on_reach(True)
        if response.status_code >= 400:
            raise _problem(response)
        return response

    # -- sessions ---------------------------------------------------------------------------------
    async def register(self, body: dict[str, Any]) -> dict[str, Any]:
        tokens: dict[str, Any] = await self.request("POST", "/api/users/register", json_body=body, auth=False)
        await self.session.adopt(tokens)
        return tokens

    async def login(self, email: str, password: str, device_name: str = "") -> dict[str, Any]:
        body = {
            "email": email,
            "password": password,
            "client_id": self.session.client_id,
            "device_name": device_name,
        }
        tokens: dict[str, Any] = await self.request("POST", "/api/users/login", json_body=body, auth=False)
        await self.session.adopt(tokens)
        return tokens

    async def login_pin(self, child_id: str, pin: str) -> dict[str, Any]:
        body = {"client_id": self.session.client_id, "child_id": child_id, "pin": pin}
        tokens: dict[str, Any] = await self.request(
            "POST", "/api/users/login/pin", json_body=body, auth=False
        )
        await self.session.adopt(tokens)
        return tokens

    async def join(self, code: str, device_name: str = "", **parent: Any) -> dict[str, Any]:
        body = {
            "code": code,
            "client_id": self.session.client_id,
            "device_name": device_name,
            **{k: v for k, v in parent.items() if v is not None},
        }
        tokens: dict[str, Any] = await self.request(
            "POST", "/api/users/family/join", json_body=body, auth=False
        )
        await self.session.adopt(tokens)
        return tokens

    async def oidc_providers(self) -> list[str]:
        """The sign-in providers the server's operator registered (none on most family servers)."""
        answer = await self.request("GET", "/api/auth/oidc/providers", auth=False)
        return [str(name) for name in answer.get("providers", [])]

    async def oidc_begin(self, provider: str, device_name: str = "") -> dict[str, Any]:
        """Begin a parent's sign-in through ``provider`` on this device: the browser's ``url`` and
        the ``poll_secret`` that only this app holds (``server.accounts.oidc``)."""
        body = {"provider": provider, "client_id": self.session.client_id, "device_name": device_name}
        answer: dict[str, Any] = await self.request(
            "POST", "/api/auth/oidc/flows", json_body=body, auth=False
        )
        return answer

    async def oidc_finish(self, flow_id: str, poll_secret: str) -> dict[str, Any]:
        """The flow's tokens once the browser came back (``ApiError`` ``OIDC_PENDING`` until then)."""
        tokens: dict[str, Any] = await self.request(
            "POST",
            f"/api/auth/oidc/flows/{flow_id}/tokens",
            json_body={"poll_secret": poll_secret},
            auth=False,
        )
        await self.session.adopt(tokens)
        return tokens

    async def step_up(self, password: str) -> datetime | None:
        answer = await self.request("POST", "/api/auth/step-up", json_body={"password": password})
        # the token lives 15 minutes but is elevated for 5 (security.md): trust the shorter one
        seconds = min(float(answer.get("expires_in", STEP_UP_S)), STEP_UP_S)
        self.session.elevate(str(answer["access_token"]), seconds)
        return self.session.elevated_until

    async def logout(self) -> None:
        refresh = await self.session.vault.get(self.session.client_id)
        try:
            if refresh:
                await self.request(
                    "POST", "/api/auth/logout", json_body={"refresh_token": refresh}, auth=False
                )
        finally:
            await self.session.vault.delete(self.session.client_id)
            self.session.forget()
            self.session.signed_out = True

    async def refresh(self) -> str:
        """Exchange the vault's refresh token for a new pair now; returns the new access token."""
        return await self.refresh_after(self.session.access)

    async def refresh_after(self, failed: str | None) -> str:
        """A current access token once ``failed`` (the token a request or the live socket was
        refused with) stopped working. Concurrent callers share one refresh: whoever comes second
        finds the token replaced and takes the new one."""
        session = self.session
        async with session.lock:
            if session.replaced(failed) and not session.signed_out:
                return str(session.access)
            refresh = None if session.signed_out else await session.vault.get(session.client_id)
            if refresh is None:
                await session.end()
                raise ApiError(401, "UNAUTHENTICATED", {"why": "no sign-in to refresh"})
            session.refreshes += 1
            try:
                tokens = await self.request(
                    "POST", _REFRESH_PATH, json_body={"refresh_token": refresh}, auth=False
                )
            except ApiError as error:
                if error.status in (400, 401, 403, 422):  # expired, revoked, or this token was reused
                    await session.end()
                raise
            await session.adopt(tokens)
            return str(tokens["access_token"])

    async def access_token(self) -> str:
        """A current access token (refreshing when this process has none yet)."""
        return self.session.access or await self.refresh()

    # -- sync ---------------------------------------------------------------------------------------
    async def push(self, body: PushRequest) -> PushResponse:
        answer = await self.request("POST", "/api/sync/push", json_body=msgspec.to_builtins(body))
        return msgspec.convert(answer, PushResponse)

    async def pull(self, body: PullRequest) -> PullResponse:
        answer = await self.request("POST", "/api/sync/pull", json_body=msgspec.to_builtins(body))
        return msgspec.convert(answer, PullResponse)

    # -- online-only reads and family management -------------------------------------------------
    async def search(self, keyword: str, limit: int | None = None) -> Any:
        params: dict[str, Any] = {"keyword": keyword}
        if limit is not None:
            params["limit"] = limit
        return await self.request("GET", "/api/market/search", params=params)

    async def price(self, symbol: str) -> Any:
        return await self.request("GET", f"/api/market/stocks/{symbol}/price")

    async def history(self, symbol: str, range: str = "1M", interval: str | None = None) -> Any:  # noqa: A002
        params = {"range": range} if interval is None else {"range": range, "interval": interval}
        return await self.request("GET", f"/api/market/stocks/{symbol}/history", params=params)

    async def news(self, symbol: str) -> Any:
        """Headlines and disclosures about ``symbol`` (``state: offline`` when the server has none)."""
        return await self.request("GET", f"/api/market/stocks/{symbol}/news")

    async def leaderboard(self) -> Any:
        return await self.request("GET", "/api/family/leaderboard")

    # -- parent missions (a list for the child and its parents; setting and calling off: step-up) --
    async def missions(self, child_id: str) -> Any:
        return await self.request("GET", f"/api/family/children/{child_id}/missions")

    async def create_mission(self, child_id: str, kind: str, target: int, reward: int) -> Any:
        body = {"kind": kind, "target": target, "reward": reward}
        return await self.request("POST", f"/api/family/children/{child_id}/missions", json_body=body)

    async def cancel_mission(self, child_id: str, mission_id: str) -> Any:
        return await self.request("DELETE", f"/api/family/children/{child_id}/missions/{mission_id}")

    async def stock(self, symbol: str) -> Any:
        return await self.request("GET", f"/api/market/stocks/{symbol}")

    async def market_status(self) -> Any:
        return await self.request("GET", "/api/market/status")

    async def fx(self) -> Any:
        return await self.request("GET", "/api/market/fx/USDKRW")

    async def family(self) -> Any:
        return await self.request("GET", "/api/family")

    async def profile(self, user_id: str) -> Any:
        return await self.request("GET", f"/api/users/{user_id}/profile")

    async def add_child(self, display_name: str, birth_year: int, pin: str, preset: str = "classic") -> Any:
        body = {"display_name": display_name, "birth_year": birth_year, "pin": pin, "preset": preset}
        return await self.request("POST", "/api/users/children", json_body=body)

    async def pairing_code(self, kind: str = "child_device", child_id: str | None = None) -> Any:
        body: dict[str, Any] = {"kind": kind}
        if child_id is not None:
            body["child_id"] = child_id
        return await self.request("POST", "/api/users/family/link", json_body=body)

    async def revoke_device(self, client_id: str) -> None:
        await self.request("DELETE", f"/api/family/devices/{client_id}")

    async def reset_pin(self, child_id: str, pin: str) -> None:
        await self.request("POST", f"/api/users/children/{child_id}/pin", json_body={"pin": pin})

    async def set_rules(self, child_id: str, rules: dict[str, Any]) -> Any:
        """The online REST route; screens change rules through ``Profile.act`` instead (offline-safe)."""
        return await self.request("PUT", f"/api/family/children/{child_id}/rules", json_body=rules)

    # -- a family's data rights (online only; step-up) ---------------------------------------------
    async def export_data(self, child_id: str | None = None) -> tuple[bytes, str]:
        """The family's data (or one child's) as a zip of the JSON document and the ledger's CSV."""
        path = "/api/family/export" if child_id is None else f"/api/family/children/{child_id}/export"
        return await self.download(path, {"format": "zip"})

    async def erase(self, child_id: str | None = None) -> Any:
        """Schedule the erasure of a child (or the family) after the server's cooling-off."""
        return await self.request("POST", _erasure(child_id), json_body={"confirm": True})

    async def cancel_erasure(self, child_id: str | None = None) -> None:
        await self.request("DELETE", _erasure(child_id))

    async def erasures(self) -> Any:
        return await self.request("GET", "/api/family/erasures")

    async def notifications(self) -> Any:
        return await self.request("GET", "/api/notifications")

    async def mark_notification_read(self, notification_id: str) -> None:
        await self.request("POST", f"/api/notifications/{notification_id}/read")

    async def portfolio(self, user_id: str) -> Any:
        return await self.request("GET", f"/api/game/portfolio/{user_id}")

    async def performance(self, user_id: str, range: str = "1M") -> Any:  # noqa: A002
        return await self.request("GET", f"/api/game/performance/{user_id}", params={"range": range})

    # -- notification settings, push, payout rails (online only) ---------------------------------
    async def notification_preferences(self) -> Any:
        return await self.request("GET", "/api/notifications/preferences")

    async def set_notification_preferences(self, events: dict[str, dict[str, bool]]) -> Any:
        return await self.request("PUT", "/api/notifications/preferences", json_body={"events": events})

    async def set_phone(self, number: str) -> Any:
        """A parent's number for SMS (step-up): the server texts a code to it."""
        return await self.request("PUT", "/api/notifications/phone", json_body={"phone": number})

    async def verify_phone(self, code: str) -> Any:
        return await self.request("POST", "/api/notifications/phone/verify", json_body={"code": code})

    async def remove_phone(self) -> Any:
        return await self.request("DELETE", "/api/notifications/phone")

    async def register_push_token(self, token: str) -> Any:
        """This device's push token (bound by the server to the device the session belongs to)."""
        return await self.request("PUT", "/api/notifications/push-token", json_body={"token": token})

    async def payout_account(self) -> Any:
        return await self.request("GET", "/api/payment/account")

    async def set_payout_account(self, bank: str, number: str, holder: str) -> Any:
        body = {"bank": bank, "number": number, "holder": holder}
        return await self.request("PUT", "/api/payment/account", json_body=body)

    # -- the hosted service's premium plan (a family server answers 404 to each) ------------------
    async def subscription(self) -> Any:
        return await self.request("GET", "/api/payment/subscription")

    async def start_trial(self) -> Any:
        return await self.request("POST", "/api/payment/subscription/trial")

    async def subscribe(self, plan: str) -> Any:
        """Choose ``plan`` (step-up): the answer's ``checkout_url`` is Toss' card page to open."""
        return await self.request("POST", "/api/payment/subscribe", json_body={"plan": plan})

    async def cancel_subscription(self) -> Any:
        return await self.request("POST", "/api/payment/subscription/cancel")

    async def transfer(self, request_id: str, rail: str) -> Any:
        """Pay an approved request through a provider rail (``toss``, ``kakaopay``)."""
        body = {"request_id": request_id, "rail": rail}
        return await self.request("POST", "/api/payment/transfer", json_body=body)


class _NoAuth(httpx.Auth):
    """Public routes (sign-in, refresh, logout) carry no bearer and never trigger a refresh."""


def _erasure(child_id: str | None) -> str:
    return "/api/family/erasure" if child_id is None else f"/api/family/children/{child_id}/erasure"
