"""The client core's face to the screens: ``Runtime``, all identities of one installation —
enrolment, sign-in, unlocking, step-up, parent mode's lock, a session that ends, a server that
moves — each opened as a ``Profile`` (``client/profile.py``: one signed-in identity with its store,
API client and sync engine)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from .clock import new_id, utcnow
from .engine import SyncState, SyncStatus
from .moving import move_installation
from .net.api import ApiClient, ApiError, Session
from .profile import Identity, LocalView, OutcomeItem, PendingItem, Profile
from .store import IdentityRow, LocalStore
from .vault import OFFLINE_PIN_TRIES, TokenVault, pin_matches, pin_verifier

__all__ = [
    "Identity",
    "LocalView",
    "OutcomeItem",
    "PendingItem",
    "Profile",
    "Runtime",
    "SyncState",
    "SyncStatus",
]

log = logging.getLogger(__name__)

LOCK_SEND_S = 10.0
"""How long leaving parent mode may spend sending what the parent queued."""


def _set_aside(path: Path) -> None:
    """Rename a replaced database (kept for a support look, out of ``identities()``)."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            Path(f"{path}{suffix}").rename(f"{path}.diverged{suffix}")


class Runtime:
    """All identities of one installation (``data_dir``); refresh tokens live in the ``TokenVault``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        vault: TokenVault,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        autostart: bool = True,
    ) -> None:
        self.data_dir, self.vault, self.transport, self.clock = data_dir, vault, transport, clock
        self.autostart = autostart  # run each profile's background sync loop (tests drive it by hand)
        self.profiles: dict[str, Profile] = {}
        self.active: Profile | None = None
        self._ended: list[Callable[[Identity], None]] = []
        self._closing: set[asyncio.Task[None]] = set()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        vault: TokenVault,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        autostart: bool = True,
    ) -> Runtime:
        (data_dir / "profiles").mkdir(parents=True, exist_ok=True)
        return cls(data_dir, vault=vault, transport=transport, clock=clock, autostart=autostart)

    def db_path(self, client_id: str) -> Path:
        """Where the local database of identity ``client_id`` lives."""
        return self.data_dir / "profiles" / f"{client_id}.db"

    def identities(self) -> list[Identity]:
        """Every identity enrolled on this installation (signed in or not)."""
        found: list[Identity] = []
        for path in sorted((self.data_dir / "profiles").glob("*.db")):
            open_profile = self.profiles.get(path.stem)
            if open_profile is not None:
                found.append(open_profile.identity)
                continue
            meta = LocalStore.peek_meta(path)
            if meta is not None:
                found.append(Identity(**{f: meta[f] for f in Identity.__dataclass_fields__}))
        return found

    # -- enrolment and sign-in ---------------------------------------------------------------------
    def _api(self, server_url: str, client_id: str) -> ApiClient:
        session = Session(client_id=client_id, vault=self.vault, clock=self.clock)
        return ApiClient(server_url, session, transport=self.transport)

    async def _open(
        self,
        api: ApiClient,
        tokens: dict[str, Any],
        display_name: str | None = None,
        *,
        email: str | None = None,
    ) -> Profile:
        """A signed-in ``api`` becomes an open, active profile on its own database."""
        identity, store = await self._enrol(api, tokens, display_name, email=email)
        return self._activate(identity, store, api)

    async def _enrol(
        self,
        api: ApiClient,
        tokens: dict[str, Any],
        display_name: str | None = None,
        *,
        email: str | None = None,
    ) -> tuple[Identity, LocalStore]:
        """The identity a signed-in ``api`` belongs to, written to its own (new) database."""
        client_id = api.session.client_id
        if display_name is None:
            profile_out = await api.profile(str(tokens["user_id"]))
            display_name = str(profile_out.get("display_name", ""))
        identity = Identity(
            user_id=str(tokens["user_id"]),
            role=str(tokens["role"]),
            family_id=str(tokens["family_id"]),
            display_name=display_name,
            client_id=client_id,
            server_url=api.server_url,
        )
        store = LocalStore.open(self.db_path(client_id))
        try:
            store.init_identity(IdentityRow(**vars(identity)), self.clock())
            if email and identity.role == "parent":
                store.set_meta(email=email)
        except Exception:
            store.close()
            raise
        return identity, store

    def _activate(self, identity: Identity, store: LocalStore, api: ApiClient) -> Profile:
        profile = Profile(identity, store, api, clock=self.clock)
        api.session.on_end = lambda: self._session_ended(profile)
        self.profiles[identity.client_id] = profile
        self.active = profile
        if self.autostart:
            profile.engine.start()
            profile.start_live()
        return profile

    async def _attempt(self, api: ApiClient, call: Callable[[], Any]) -> dict[str, Any]:
        """Run a sign-in call; a failure closes the fresh API client and re-raises."""
        try:
            result: dict[str, Any] = await call()
        except BaseException:
            await api.close()
            raise
        return result

    async def enroll_with_code(
        self,
        server_url: str,
        code: str,
        device_name: str,
        *,
        email: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
    ) -> Profile:
        """Redeem a pairing code: a child's device, or (with e-mail and password) a second parent."""
        api, tokens = await self._redeem(server_url, code, device_name, email, password, display_name)
        return await self._open(api, tokens, email=email)

    async def _redeem(
        self,
        server_url: str,
        code: str,
        device_name: str,
        email: str | None,
        password: str | None,
        display_name: str | None,
    ) -> tuple[ApiClient, dict[str, Any]]:
        """The code redeemed on a new device identity: its client and the tokens the server gave."""
        api = self._api(server_url, new_id())
        tokens = await self._attempt(
            api,
            lambda: api.join(code, device_name, email=email, password=password, display_name=display_name),
        )
        return api, tokens

    async def join(
        self,
        server_url: str,
        code: str,
        device_name: str,
        *,
        email: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
    ) -> Identity:
        """Redeem a pairing code from the first screen. A parent invite (with the new parent's
        e-mail, password and name) opens that parent's profile here. A child's code enrols this
        device for her and ends the pairing's own session before anything is synced: the device
        opens with her PIN from the first time on (:meth:`unlock_child`, which also leaves the
        verifier an offline unlock needs), so a tablet left on the table after pairing is locked."""
        api, tokens = await self._redeem(server_url, code, device_name, email, password, display_name)
        if tokens["role"] != "child":
            return (await self._open(api, tokens, email=email)).identity
        try:
            identity, store = await self._enrol(api, tokens)
            store.close()
            try:
                await api.logout()  # forgets the refresh token here whatever the server answers
            except ApiError as error:  # enrolled all the same; that session runs out on its own
                log.info("the pairing's session could not be ended now (%s)", error.code)
        finally:
            await api.close()
        return identity

    async def register_parent(
        self,
        server_url: str,
        email: str,
        password: str,
        display_name: str,
        device_name: str,
        *,
        family_name: str | None = None,
        locale: str = "ko",
    ) -> Profile:
        api = self._api(server_url, new_id())
        body = {
            "email": email,
            "password": password,
            "display_name": display_name,
            "family_name": family_name or display_name,
            "locale": locale,
            "client_id": api.session.client_id,
            "device_name": device_name,
        }
        tokens = await self._attempt(api, lambda: api.register(body))
        return await self._open(api, tokens, display_name, email=email)

    async def sign_in_parent(self, server_url: str, email: str, password: str, device_name: str) -> Profile:
        """A parent signs in on this installation with a new identity (its own ``client_id``)."""
        api = self._api(server_url, new_id())
        tokens = await self._attempt(api, lambda: api.login(email, password, device_name))
        return await self._open(api, tokens, email=email)

    async def sign_in_providers(self, server_url: str) -> list[str]:
        """The providers a parent may sign in with on ``server_url`` (none when it cannot be asked)."""
        api = self._api(server_url, new_id())
        try:
            return await api.oidc_providers()
        except ApiError:
            return []
        finally:
            await api.close()

    async def sign_in_with_provider(
        self,
        server_url: str,
        provider: str,
        device_name: str,
        open_browser: Callable[[str], Awaitable[None]],
        *,
        stopped: Callable[[], bool] = lambda: False,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> Profile:
        """A parent signs in through ``provider`` (``server.accounts.oidc``): the flow begins here,
        ``open_browser`` shows its address in the system browser, and the server is asked every few
        seconds until the browser came back (then the tokens, once), the flow ran out, or
        ``stopped()`` (the parent gave up: ``OIDC_CANCELLED``)."""
        api = self._api(server_url, new_id())

        async def flow() -> dict[str, Any]:
            begun = await api.oidc_begin(provider, device_name)
            await open_browser(str(begun["url"]))
            for _ in range(max(1, int(begun["expires_in"]) // max(1, int(begun["interval"])))):
                if stopped():
                    raise ApiError(400, "OIDC_CANCELLED", {"why": "the parent stopped waiting"})
                try:
                    return await api.oidc_finish(str(begun["flow_id"]), str(begun["poll_secret"]))
                except ApiError as error:
                    if error.code != "OIDC_PENDING":
                        raise
                await wait(float(begun["interval"]))
            raise ApiError(400, "OIDC_STATE_INVALID", {"why": "the sign-in ran out of time"})

        tokens = await self._attempt(api, flow)
        me = await api.profile(str(tokens["user_id"]))  # the e-mail a later unlock signs in with
        return await self._open(api, tokens, str(me.get("display_name", "")), email=me.get("email"))

    async def unlock_child(self, identity: Identity, pin: str) -> Profile:
        """The child's PIN on its enrolled device, checked by the server; offline, against the
        verifier kept from the last online unlock (child mode works without a network)."""
        try:
            profile = await self._unlock(identity, lambda api: api.login_pin(identity.user_id, pin))
        except ApiError as error:
            if not error.offline:
                raise
            return await self._unlock_offline(identity, pin)
        profile.store.set_meta(pin_verifier=pin_verifier(pin), pin_failures=0)
        return profile

    async def sign_in_enrolled_child(
        self, server_url: str, client_id: str, child_id: str, pin: str
    ) -> Profile:
        """The PIN on a device the server enrolled itself (the demo's): its first sign-in here."""
        api = self._api(server_url, client_id)
        tokens = await self._attempt(api, lambda: api.login_pin(child_id, pin))
        profile = await self._open(api, tokens)
        profile.store.set_meta(pin_verifier=pin_verifier(pin), pin_failures=0)
        return profile

    async def _unlock_offline(self, identity: Identity, pin: str) -> Profile:
        open_profile = self.profiles.get(identity.client_id)
        store = open_profile.store if open_profile else LocalStore.open(self.db_path(identity.client_id))
        try:
            meta = store.meta()
            remembered = await self.vault.get(identity.client_id) is not None
            if not (remembered and meta["pin_verifier"]) or meta["pin_failures"] >= OFFLINE_PIN_TRIES:
                # nothing to check against (or too many misses): only the server can decide now
                raise ApiError(0, "OFFLINE", {"why": "the PIN can only be checked online"})
            if not pin_matches(pin, meta["pin_verifier"]):
                store.set_meta(pin_failures=int(meta["pin_failures"]) + 1)
                raise ApiError(401, "UNAUTHENTICATED", {"offline": True})
            store.set_meta(pin_failures=0)
        finally:
            if open_profile is None:
                store.close()
        profile = await self.resume(identity)
        assert profile is not None  # the vault remembered it a moment ago
        return profile

    async def unlock_parent(self, identity: Identity, password: str) -> Profile:
        """A parent identity enrolled here signs in again with its password."""
        email = await self.email_of(identity)
        return await self._unlock(identity, lambda api: api.login(email, password))

    async def resume(self, identity: Identity) -> Profile | None:
        """Open an identity whose sign-in the vault remembers, offline too; ``None`` if it does not."""
        if identity.client_id in self.profiles:
            self.active = self.profiles[identity.client_id]
            return self.active
        if await self.vault.get(identity.client_id) is None:
            return None
        api = self._api(identity.server_url, identity.client_id)
        return self._activate(identity, LocalStore.open(self.db_path(identity.client_id)), api)

    async def email_of(self, identity: Identity) -> str:
        email = (LocalStore.peek_meta(self.db_path(identity.client_id)) or {}).get("email")
        if not email:
            raise ApiError(0, "EMAIL_UNKNOWN", {"why": "sign in with e-mail and password instead"})
        return str(email)

    async def _unlock(self, identity: Identity, call: Callable[[ApiClient], Any]) -> Profile:
        api = self._api(identity.server_url, identity.client_id)
        await self._attempt(api, lambda: call(api))
        if identity.client_id in self.profiles:  # signed in again: the new session replaces the old
            await self.profiles.pop(identity.client_id).close()
        return self._activate(identity, LocalStore.open(self.db_path(identity.client_id)), api)

    async def reenroll(
        self,
        identity: Identity,
        *,
        code: str | None = None,
        password: str | None = None,
        device_name: str = "",
    ) -> Profile:
        """Start over as a new installation after ``CLIENT_STATE_DIVERGED`` (this device's database
        came back from an old backup): a child needs a new pairing code, a parent its password. The
        old database's queued mutations move to the new one with their original ids (sync.md,
        "Client reset"); the old file is kept beside it as ``*.db.diverged``."""
        if identity.role == "child":
            if code is None:
                raise ValueError("a child's device is re-enrolled with a pairing code")
            fresh = await self.enroll_with_code(identity.server_url, code, device_name)
        else:
            if password is None:
                raise ValueError("a parent re-enrols with the password")
            fresh = await self.sign_in_parent(
                identity.server_url, await self.email_of(identity), password, device_name
            )
        if fresh.identity.user_id != identity.user_id:
            await self.sign_out(fresh.identity)
            raise ApiError(409, "CONFLICT", {"why": "that code or account belongs to someone else"})
        old_profile = self.profiles.pop(identity.client_id, None)
        if old_profile is not None:
            await old_profile.close()
        old = LocalStore.open(self.db_path(identity.client_id))
        try:
            fresh.store.adopt_queue(old, fresh.engine.server_now())
        finally:
            old.close()
        fresh._notify()
        await self.vault.delete(identity.client_id)
        _set_aside(self.db_path(identity.client_id))
        if self.autostart:
            fresh.engine.kick()
        return fresh

    async def step_up(self, profile: Profile, password: str) -> None:
        """The parent's password again: its pushes carry an elevated token for the next 5 minutes."""
        await profile.api.step_up(password)
        profile.engine.poke()  # a queue stopped at STEP_UP_REQUIRED can go on now

    # -- a session that ends on its own ------------------------------------------------------------
    def subscribe(self, fn: Callable[[Identity], None]) -> Callable[[], None]:
        """``fn(identity)`` runs when a session ends on its own: the server refused its refresh token
        (the 7-day sign-in ran out, the session was revoked, the device too). The profile is closed
        by then and out of ``profiles``; its database and queue stay for the next unlock."""
        self._ended.append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._ended.remove(fn)

        return unsubscribe

    def _session_ended(self, profile: Profile) -> None:
        identity = profile.identity
        if self.profiles.get(identity.client_id) is not profile:
            return
        del self.profiles[identity.client_id]
        if self.active is profile:  # a parent's session beside a child's: back to the child
            children = [p for p in self.profiles.values() if p.identity.role == "child"]
            self.active = children[0] if children else None
        # closed on its own task: this runs inside the request (often the sync round) that met the end
        closing = asyncio.get_running_loop().create_task(profile.close(), name="yongdon-close")
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        log.info("a %s session ended: unlock again", identity.role)
        for fn in list(self._ended):
            try:
                fn(identity)
            except Exception:  # one broken screen must not keep the others on a dead session
                log.exception("a session-end listener failed")

    # -- a family server that moved ---------------------------------------------------------------
    async def move_server(self, parent: Identity, server_url: str, password: str) -> Profile:
        """A parent moves this installation's family to the server's new address, with the password
        again (``client/moving.py``); returns the parent's profile, open and signed in there."""
        return await move_installation(self, parent, server_url, password)

    # -- locking and leaving -----------------------------------------------------------------------
    async def lock(self, *, send_within: float = LOCK_SEND_S) -> None:
        """Leave parent mode: every parent profile is dropped from memory. On a device that also holds
        a child identity the parent's refresh token is forgotten too, so the child cannot resume it.

        What the parent queued is sent first (for at most ``send_within`` seconds): approvals and
        payouts must not wait until a parent signs in on this device again. Offline, they stay
        queued in the parent's database and go with that next sign-in.
        """
        has_child = any(i.role == "child" for i in self.identities())
        for client_id, profile in list(self.profiles.items()):
            if profile.identity.role != "parent":
                continue
            if profile.view().pending:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(send_within):
                        await profile.sync_now()
            del self.profiles[client_id]
            if has_child:
                await self.vault.delete(client_id)
            profile.api.session.forget()
            await profile.close()
        if self.active is not None and self.active.identity.client_id not in self.profiles:
            children = [p for p in self.profiles.values() if p.identity.role == "child"]
            self.active = children[0] if children else None

    async def sign_out(self, identity: Identity) -> None:
        """End the session on the server and forget the token; the local database (and any queued
        mutation) stays, so signing in again continues where it was."""
        profile = self.profiles.pop(identity.client_id, None)
        api = profile.api if profile else self._api(identity.server_url, identity.client_id)
        try:
            await api.logout()
        except ApiError as error:
            log.info("logout could not reach the server (%s): the token is forgotten locally", error.code)
        finally:
            if profile is not None:
                await profile.close()
            else:
                await api.close()
        if self.active is profile:
            self.active = None

    async def close(self) -> None:
        for profile in list(self.profiles.values()):
            await profile.close()
        self.profiles.clear()
        self.active = None
        if self._closing:
            await asyncio.gather(*self._closing)
