"""Parents sign in with an OpenID Connect provider (Google, Kakao, …) through the system browser.

Authorization code with PKCE (S256), ``state`` and ``nonce``, through Authlib's httpx client and
joserfc (``shared/research/recipes-operations.md`` §4). The providers are the operator's
(``Settings.oidc_providers``, none by default); ``GET /api/auth/oidc/providers`` names them, so the
app shows a button for each.

**How the tokens reach the app.** An app cannot be sent back to by a provider everywhere (a desktop
app has no address of its own), so the browser and the app meet on this server:

1. The app asks ``POST /api/auth/oidc/flows`` for its device (``client_id``, name). The server keeps
   a *flow* for 10 minutes and answers its id, the browser's address, and a ``poll_secret`` that
   only the app ever sees (the store keeps its digest).
2. The app opens the system browser at ``/auth/oidc/{provider}/start?flow=…``. The server makes the
   flow's one transaction (``state``, ``nonce``, a PKCE verifier), binds it to this browser with a
   cookie (``SameSite=Lax``: a Strict cookie is not sent on the provider's redirect back, so the
   callback would never match), and redirects to the provider. A start address works once.
3. The provider sends the browser back to ``/auth/oidc/{provider}/callback``. The transaction is
   taken (one-shot: a replayed callback finds none), the browser's cookie must match it, the code
   is exchanged with the verifier, and the ID token is checked: the provider's published keys,
   issuer, audience, expiry, ``nonce``, ``at_hash``. The page says to go back to the app; the flow
   records who signed in, or the refusal's code.
4. The app polls ``POST /api/auth/oidc/flows/{flow_id}/tokens`` with its ``poll_secret``:
   ``OIDC_PENDING`` until then, after that the session's tokens once (the flow ends). They are
   minted at that moment, so no token ever waits in the store.

**Who may sign in.** A *parent* whose e-mail the provider vouches for (``email_verified`` is true)
and which is the parent's account e-mail, found through ``email_hash`` as the password sign-in finds
it (``services.find_parent``). Nothing of the provider's account is stored: each sign-in checks the
e-mail again, so linking happens only through a verified e-mail. Children have no e-mail and the
lookup is for parents only: a child (or the operator) is never reached. An e-mail no parent has is
refused (``OIDC_NO_PARENT``) rather than creating a family: registering names the family, sets the
password that step-up asks for before money moves, and is a choice made in the app; a new parent
registers there, then may use the provider.

**Phishing.** Whoever finishes a flow in a browser signs in the app that started it, as with any
device-style sign-in. The start address works once and for 10 minutes, and the parents are told of
the new device (``security_alert``), as for a password sign-in.

Kakao: its ID token may carry no ``email_verified`` claim (its verified flag is on its user API), in
which case its sign-in is refused as unverified: safe, but a Kakao server needs that checked. Naver
Login has no ID token and no verified e-mail, so it is not an OpenID Connect provider here.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from litestar.stores.base import Store

from sync.errors import Code, ProtocolCode

from ..errors import DomainError
from ..settings import OidcProvider, Settings

__all__ = ["COOKIE", "FLOW_TTL", "Flow", "Oidc", "oidc_store"]

FLOW_TTL = 600  # seconds from the app's start to its last poll
POLL_INTERVAL = 2
COOKIE = "yongdon_oidc"
META_TTL = 3600.0  # a provider's discovery document and keys, cached (they rotate slowly)
_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
_LEEWAY = 60


def oidc_store(settings: Settings) -> Store:
    """Flows live briefly: in memory for one process, in Redis when several share the work."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=settings.redis_url, namespace=f"{settings.redis_prefix}:oidc")
    from litestar.stores.memory import MemoryStore

    return MemoryStore()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Flow:
    """One app's sign-in through a provider, from its start to its one exchange for tokens."""

    provider: str
    client_id: str
    device_name: str
    poll: str  # digest of the app's poll_secret
    expires_at: float  # wall-clock seconds
    started: bool = False
    user_id: str | None = None  # the parent the provider's verified e-mail named
    family_id: str | None = None
    refused: str | None = None  # the refusal's code, for the app


@dataclass
class _Transaction:
    """What the callback needs and must find exactly once: kept under its ``state``."""

    flow_id: str
    nonce: str
    verifier: str
    browser: str  # digest of the cookie that binds it to the browser that started it


def _state_invalid(
    detail: str = "this sign-in is unknown, used or expired: start again in the app",
) -> DomainError:
    return DomainError(ProtocolCode.OIDC_STATE_INVALID, detail)


class Oidc:
    """The relying party: the registered providers, their flows and transactions (``store``)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.providers = {p.name: p for p in settings.oidc_providers}
        self.store = store
        self.base = settings.public_url.rstrip("/")
        self._meta: dict[str, tuple[float, dict[str, Any], KeySet]] = {}

    def provider(self, name: str) -> OidcProvider:
        found = self.providers.get(name)
        if found is None:
            raise DomainError(Code.NOT_FOUND, "no such sign-in provider on this server")
        return found

    def redirect_uri(self, provider: OidcProvider) -> str:
        """The address the operator registers with the provider."""
        return f"{self.base}/auth/oidc/{provider.name}/callback"

    # -- the flow's store -------------------------------------------------------------------------
    async def _put(self, key: str, value: Any, expires_at: float) -> None:
        await self.store.set(key, json.dumps(asdict(value)), expires_in=max(1, int(expires_at - time.time())))

    async def _flow(self, flow_id: str) -> Flow | None:
        raw = await self.store.get(f"flow:{flow_id}")
        flow = Flow(**json.loads(raw)) if raw else None
        return flow if flow is not None and flow.expires_at > time.time() else None

    async def _save(self, flow_id: str, flow: Flow) -> None:
        await self._put(f"flow:{flow_id}", flow, flow.expires_at)

    # -- 1. the app begins --------------------------------------------------------------------------
    async def begin(self, name: str, client_id: str, device_name: str) -> dict[str, Any]:
        provider = self.provider(name)
        flow_id, poll_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        flow = Flow(provider.name, client_id, device_name, _digest(poll_secret), time.time() + FLOW_TTL)
        await self._save(flow_id, flow)
        return {
            "flow_id": flow_id,
            "url": f"{self.base}/auth/oidc/{provider.name}/start?flow={quote(flow_id)}",
            "poll_secret": poll_secret,
            "expires_in": FLOW_TTL,
            "interval": POLL_INTERVAL,
        }

    # -- 2. the browser starts ----------------------------------------------------------------------
    async def start(self, name: str, flow_id: str, browser: str | None) -> tuple[str, str]:
        """The provider's authorization address for the flow, and the browser's cookie value."""
        provider = self.provider(name)
        flow = await self._flow(flow_id)
        if flow is None or flow.provider != provider.name or flow.started:
            raise _state_invalid()
        meta, _ = await self._metadata(provider)
        flow.started = True
        await self._save(flow_id, flow)
        # a browser already holding the cookie keeps it: two sign-ins in one browser both match
        browser = browser if browser and len(browser) <= 100 else secrets.token_urlsafe(32)
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        await self._put(
            f"state:{state}", _Transaction(flow_id, nonce, verifier, _digest(browser)), flow.expires_at
        )
        async with self._client(provider, meta) as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        return url, browser

    # -- 3. the browser comes back ------------------------------------------------------------------
    async def callback(
        self, name: str, state: str, code: str, error: str, browser: str | None
    ) -> tuple[str, dict[str, Any]]:
        """Check the provider's answer; the flow's id and the ID token's verified claims.

        Any refusal after the transaction was found is also the flow's (the app's poll answers it).
        """
        provider = self.provider(name)
        raw = await self.store.get(f"state:{state}") if state else None
        if raw is None:
            raise _state_invalid()
        await self.store.delete(f"state:{state}")  # one-shot: a replayed callback finds nothing
        tx = _Transaction(**json.loads(raw))
        flow = await self._flow(tx.flow_id)
        if flow is None or flow.provider != provider.name:
            raise _state_invalid()
        if not browser or not secrets.compare_digest(_digest(browser), tx.browser):
            raise await self.refuse(tx.flow_id, _state_invalid("this sign-in was started in another browser"))
        try:
            claims = await self._verified(provider, tx, code, error)
        except DomainError as refusal:
            raise await self.refuse(tx.flow_id, refusal) from None
        if claims.get("email_verified") is not True or not isinstance(claims.get("email"), str):
            raise await self.refuse(
                tx.flow_id,
                DomainError(
                    ProtocolCode.OIDC_EMAIL_UNVERIFIED, f"{provider.name} does not vouch for this e-mail"
                ),
            )
        return tx.flow_id, claims

    async def _verified(
        self, provider: OidcProvider, tx: _Transaction, code: str, error: str
    ) -> dict[str, Any]:
        if error:
            raise DomainError(ProtocolCode.OIDC_CANCELLED, f"{provider.name} answered: {error[:60]}")
        if not code:
            raise DomainError(ProtocolCode.OIDC_TOKEN_INVALID, "the provider sent no code")
        meta, keys = await self._metadata(provider)
        try:
            async with self._client(provider, meta) as client:
                token = await client.fetch_token(meta["token_endpoint"], code=code, code_verifier=tx.verifier)
        except AuthlibBaseError as refused:  # invalid_grant: a used, expired or foreign code
            raise DomainError(
                ProtocolCode.OIDC_TOKEN_INVALID, f"the provider refused the code: {refused.error}"
            ) from None
        except httpx2.HTTPError as failed:
            raise DomainError(
                ProtocolCode.PROVIDER_FAILED, f"{provider.name}: {type(failed).__name__}"
            ) from None
        allowed = [
            a for a in meta.get("id_token_signing_alg_values_supported", ["RS256"]) if a in _ALGORITHMS
        ]
        try:
            decoded = jwt.decode(str(token["id_token"]), keys, algorithms=allowed)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"essential": True, "value": meta["issuer"]}},
                {
                    "nonce": tx.nonce,
                    "client_id": provider.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            # the provider's clock is the world's: its tokens are checked on real time, not the server's
            claims.validate(leeway=_LEEWAY)
        except (JoseError, KeyError, ValueError) as bad:
            raise DomainError(
                ProtocolCode.OIDC_TOKEN_INVALID, f"the ID token does not check out: {type(bad).__name__}"
            ) from None
        return dict(claims)

    async def refuse(self, flow_id: str, refusal: DomainError) -> DomainError:
        """Record ``refusal`` as the flow's outcome (the app's poll answers it); answers it."""
        flow = await self._flow(flow_id)
        if flow is not None and flow.user_id is None:
            flow.refused = refusal.code
            await self._save(flow_id, flow)
        return refusal

    async def signed_in(self, flow_id: str, user_id: str, family_id: str | None) -> None:
        flow = await self._flow(flow_id)
        if flow is not None:
            flow.user_id, flow.family_id = user_id, family_id
            await self._save(flow_id, flow)

    # -- 4. the app polls ---------------------------------------------------------------------------
    async def take(self, flow_id: str, poll_secret: str) -> Flow:
        """The flow, finished and signed in, taken once; else its refusal (or ``OIDC_PENDING``)."""
        flow = await self._flow(flow_id)
        if flow is None or not secrets.compare_digest(flow.poll, _digest(poll_secret)):
            raise DomainError(Code.NOT_FOUND, "no such sign-in: it ended, or expired")
        if flow.user_id is None and flow.refused is None:
            raise DomainError(
                ProtocolCode.OIDC_PENDING,
                "finish signing in in the browser",
                extra={"interval": POLL_INTERVAL},
            )
        await self.store.delete(f"flow:{flow_id}")
        if flow.refused is not None:
            raise DomainError(flow.refused, "the sign-in was refused: see the page in the browser")
        return flow

    # -- the provider -------------------------------------------------------------------------------
    def _client(self, provider: OidcProvider, meta: dict[str, Any]) -> AsyncOAuth2Client:
        methods = meta.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        return AsyncOAuth2Client(
            provider.client_id,
            provider.client_secret,
            scope=provider.scope,
            redirect_uri=self.redirect_uri(provider),
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic"
            if "client_secret_basic" in methods
            else "client_secret_post",  # Kakao's
            timeout=10.0,
        )

    async def _metadata(self, provider: OidcProvider) -> tuple[dict[str, Any], KeySet]:
        cached = self._meta.get(provider.name)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            async with httpx2.AsyncClient(timeout=10.0) as http:
                found = await http.get(f"{provider.issuer}/.well-known/openid-configuration")
                meta = found.raise_for_status().json()
                if str(meta.get("issuer", "")).rstrip("/") != provider.issuer:
                    raise ValueError("the discovery document names another issuer")
                keys = KeySet.import_key_set((await http.get(meta["jwks_uri"])).raise_for_status().json())
        except (httpx2.HTTPError, ValueError, KeyError, JoseError) as failed:
            raise DomainError(
                ProtocolCode.PROVIDER_FAILED, f"{provider.name}'s discovery failed: {type(failed).__name__}"
            ) from None
        self._meta[provider.name] = (time.monotonic() + META_TTL, meta, keys)
        return meta, keys
