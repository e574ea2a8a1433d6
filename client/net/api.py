"""``ApiClient``: the server's HTTP API on ``httpx.AsyncClient``, with token refresh.

Every failure is an :class:`ApiError` carrying the server's stable problem ``code``; a failure to
reach the server at all is ``ApiError(0, "OFFLINE")``. The :class:`_RefreshAuth` flow refreshes the
access token once on a 401 and retries: refresh tokens rotate on every use and presenting an old one
ends the whole session (security.md), so the new refresh token goes into the vault *before* the new
access token is used, and concurrent 401s refresh only once (an ``asyncio.Lock``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from ..clock import utcnow
from ..vault import TokenVault

__all__ = ["ApiClient", "ApiError", "Session"]

OFFLINE = "OFFLINE"
_REFRESH_PATH = "/api/auth/refresh"
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
STEP_UP_S = 300.0


class ApiError(Exception):
    """An HTTP failure with the server's stable ``code`` (``OFFLINE`` with status 0: no network)."""

    def __init__(self, status: int, code: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.detail = status, code, detail or {}

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


class _RefreshAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, session: Session) -> None:
        self.session = session

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        session = self.session
        sent_with = session.bearer()
        if sent_with:
            request.headers["Authorization"] = f"Bearer {sent_with}"
        response = yield request
        if response.status_code != 401 or request.url.path == _REFRESH_PATH:
            return
        async with session.lock:
            if session.bearer() == sent_with:  # nobody refreshed while this request was in flight
                refresh = await session.vault.get(session.client_id)
                if refresh is None:
                    session.signed_out = True
                    return
                answer = yield httpx.Request(
                    "POST",
                    request.url.copy_with(path=_REFRESH_PATH, query=None),
                    json={"refresh_token": refresh},
                )
                session.refreshes += 1
                if answer.status_code != 200:
                    if answer.status_code in (400, 401, 403, 422):
                        # the session is over (expired, revoked, or this token was reused)
                        await session.vault.delete(session.client_id)
                        session.forget()
                        session.signed_out = True
                    return
                await session.adopt(answer.json())
        token = session.bearer()
        if token is None:
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
    return ApiError(response.status_code, str(code), body)


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
            auth=_RefreshAuth(session),
            timeout=_TIMEOUT,
            headers={"Accept": "application/json"},
        )

    async def close(self) -> None:
        await self.http.aclose()

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
        try:
            response = await self.http.request(
                method,
                path,
                json=json_body,
                params=params,
                headers=headers,
                auth=httpx.USE_CLIENT_DEFAULT if auth else _NoAuth(),
            )
        except httpx.TransportError as error:
            raise ApiError(0, OFFLINE, {"error": type(error).__name__}) from error
        if response.status_code >= 400:
            raise _problem(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

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
        """Exchange the vault's refresh token for a new pair now (the live socket's 4401); returns
        the new access token. Concurrent callers share one refresh."""
        session = self.session
        stale = session.access
        async with session.lock:
            if session.access and session.access != stale:
                return session.access  # someone refreshed while we waited
            refresh = await session.vault.get(session.client_id)
            if refresh is None:
                session.signed_out = True
                raise ApiError(401, "UNAUTHENTICATED", {"why": "no remembered sign-in"})
            try:
                tokens = await self.request(
                    "POST", _REFRESH_PATH, json_body={"refresh_token": refresh}, auth=False
                )
            except ApiError as error:
                if error.status in (400, 401, 403, 422):
                    await session.vault.delete(session.client_id)
                    session.forget()
                    session.signed_out = True
                raise
            session.refreshes += 1
            await session.adopt(tokens)
            return str(tokens["access_token"])

    async def access_token(self) -> str:
        """A current access token (refreshing when this process has none yet)."""
        return self.session.access or await self.refresh()

    # -- sync ---------------------------------------------------------------------------------------
    async def push(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("POST", "/api/sync/push", json_body=body)
        return result

    async def pull(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("POST", "/api/sync/pull", json_body=body)
        return result

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

    async def notifications(self) -> Any:
        return await self.request("GET", "/api/notifications")

    async def mark_notification_read(self, notification_id: str) -> None:
        await self.request("POST", f"/api/notifications/{notification_id}/read")

    async def portfolio(self, user_id: str) -> Any:
        return await self.request("GET", f"/api/game/portfolio/{user_id}")

    async def performance(self, user_id: str, range: str = "1M") -> Any:  # noqa: A002
        return await self.request("GET", f"/api/game/performance/{user_id}", params={"range": range})


class _NoAuth(httpx.Auth):
    """Public routes (sign-in, refresh, logout) carry no bearer and never trigger a refresh."""
