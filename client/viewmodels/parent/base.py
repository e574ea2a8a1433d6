"""What every parent screen shares: the family's children from the local view, actions through
``Profile.act``, and the step-up password prompt for approvals, payouts and rule changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sync.book import MemoryBook
from sync.handlers import needs_step_up

from ..base import Profile, ProfileScreen, Tools
from ..errors import code_of, explain

if TYPE_CHECKING:
    from client.profile import Identity

__all__ = ["ChildRef", "ParentRuntime", "ParentScreen", "is_offline"]

Mutation = tuple[str, dict[str, Any]]


class ParentRuntime(Protocol):
    """What a parent screen asks of the installation beyond its profile (``client.runtime.Runtime``;
    ``FakeRuntime`` in tests): the password again, and moving to the server's new address."""

    async def step_up(self, profile: Any, password: str) -> None:
        """An elevated token for ``profile``, the screen's own. ``Any``: the runtime takes its own
        concrete ``client.profile.Profile`` (it pokes the sync engine), and a parameter typed as the
        view-models' ``Profile`` protocol would refuse that narrower one (parameters are contravariant)."""
        ...

    async def move_server(self, parent: Identity, server_url: str, password: str) -> Profile:
        """This installation's family at the server's new address (``client/moving.py``)."""
        ...


@dataclass(frozen=True)
class ChildRef:
    child_id: str
    name: str
    book: MemoryBook


def is_offline(exc: BaseException) -> bool:
    return code_of(exc) == "OFFLINE"


class ParentScreen(ProfileScreen):
    """Follows the profile (``attach``/``detach``) and re-reads its local view on every change.

    ``ask_step_up`` is True while the screen waits for the parent's password: the action that needed
    it runs right after :meth:`confirm_step_up`.
    """

    def __init__(self, profile: Profile, tools: Tools, runtime: ParentRuntime | None = None) -> None:
        self.runtime = runtime
        self.notice: str | None = None
        self.ask_step_up = False
        self._after_step_up: Callable[[], Awaitable[Any]] | None = None
        self._unchecked = False
        self.failure: BaseException | None = None  # what the last online call failed with
        super().__init__(profile, tools)

    def refresh(self) -> None:
        super().refresh()
        status = self.view.status
        # the queue stopped because an approval needs a fresh password: ask for it
        self.queue_needs_step_up = str(status.state) == "error" and status.code == "STEP_UP_REQUIRED"

    # -- the family -----------------------------------------------------------------------
    def children(self) -> list[ChildRef]:
        """Every child with a book on this device, named from the family's members."""
        names = {m.get("user_id"): str(m.get("display_name", "")) for m in self.view.members}
        ids = [m["user_id"] for m in self.view.members if m.get("role") == "child" and m.get("user_id")]
        ids += sorted(c for c in self.view.books if c not in ids)
        return [ChildRef(c, names.get(c) or c, self.view.books[c]) for c in ids if c in self.view.books]

    def child_name(self, child_id: str) -> str:
        return next((c.name for c in self.children() if c.child_id == child_id), child_id)

    def pending_args(self, name: str) -> list[dict[str, Any]]:
        return [p.args for p in self.view.pending if p.name == name]

    def server_now(self) -> Any:
        return self.tools.clock() + self.view.status.server_offset

    def elevated(self) -> bool:
        session = getattr(getattr(self.profile, "api", None), "session", None)
        return bool(session is not None and session.is_elevated())

    # -- acting ---------------------------------------------------------------------------
    def _start(self) -> None:
        self.busy, self.error, self.notice = True, None, None
        self.changed()

    def _done(self) -> None:
        self.busy = False
        self.refresh()
        self.changed()

    def fail(self, exc: BaseException | str) -> None:
        code = exc if isinstance(exc, str) else code_of(exc)
        self.error = explain(self.tools.tr, code)

    async def act(self, mutation: Mutation, *, notice: str | None = None) -> bool:
        """Queue ``mutation`` (offline too); first ask for the password when the server will need it."""
        name, args = mutation
        if needs_step_up(name, args) and self.gate(lambda: self._act(mutation, notice)):
            return False
        await self._act(mutation, notice)
        return self.error is None

    async def _act(self, mutation: Mutation, notice: str | None) -> None:
        self._start()
        try:
            await self.profile.act(*mutation)
        except Exception as exc:
            self.fail(exc)
        else:
            self.notice = notice
        finally:
            self._done()

    def leaving(self) -> None:
        """Back to child mode: what is queued is sent first (``Runtime.lock``), so show it working."""
        if self.view.pending:
            self.busy = True
            self.changed()

    def request_step_up(self, then: Callable[[], Awaitable[Any]]) -> bool:
        self.ask_step_up, self._after_step_up = True, then
        self.changed()
        return False

    def cancel_step_up(self) -> None:
        self.ask_step_up, self._after_step_up = False, None
        self.changed()

    async def confirm_step_up(self, password: str) -> bool:
        """The parent's password: an elevated token for 5 minutes, then the action that waited.

        Offline the password cannot be checked; the action is queued anyway and the server asks again
        (the sync chip says so) when the connection is back."""
        if not password:
            self.fail("INVALID_ARGS")
            self.changed()
            return False
        self._start()
        then, offline = self._after_step_up, False
        try:
            assert self.runtime is not None, "a password prompt needs the runtime that checks it"
            await self.runtime.step_up(self.profile, password)
        except Exception as exc:
            offline = is_offline(exc)
            if not offline:
                self.fail("WRONG_PASSWORD" if code_of(exc) in ("FORBIDDEN", "UNAUTHENTICATED") else exc)
                self._done()
                return False
        self.ask_step_up, self._after_step_up = False, None
        self._done()
        if then is not None:
            self._unchecked = offline
            try:
                await then()
            finally:
                self._unchecked = False
        if offline:
            self.notice = self.tools.tr("parent.stepup.offline")
            self.changed()
        return True

    async def resume_queue(self) -> None:
        """The queue stopped at STEP_UP_REQUIRED: the password lets it go on."""

        async def sync() -> None:
            try:
                await self.profile.sync_now()
            except Exception as exc:  # the chip shows the state; say it in words too
                self.fail(exc)
            self._done()

        self.request_step_up(sync)

    def gate(self, then: Callable[[], Awaitable[Any]]) -> bool:
        """True when the parent's password must come first; ``then`` (the whole operation) runs after."""
        # while ``_unchecked`` the password could not be checked offline: go on, the server asks later
        if self._unchecked or self.elevated() or self.runtime is None:
            return False
        self.request_step_up(then)
        return True

    async def online(
        self,
        call: Callable[[], Awaitable[Any]],
        *,
        again: Callable[[], Awaitable[Any]] | None = None,
        offline: str | None = None,
        codes: dict[str, str] | None = None,
    ) -> Any:
        """An online-only call (``Profile.api``); ``None`` when it did not happen, with the reason in
        plain words (``offline`` overrides the generic "needs the connection" text, ``codes`` the text
        of a code for this call). When the server
        wants a fresh password (``STEP_UP_REQUIRED``) the prompt shows and ``again`` runs after it."""
        self._start()
        self.failure = None
        try:
            return await call()
        except Exception as exc:
            self.failure = exc  # the caller may say more from its details (a provider's refusal)
            if code_of(exc) == "STEP_UP_REQUIRED" and again is not None and self.runtime is not None:
                self.request_step_up(again)
            elif is_offline(exc):
                self.error = offline or explain(self.tools.tr, "ONLINE_ONLY")
            elif codes and code_of(exc) in codes:  # what this code means for this very call
                self.error = codes[code_of(exc)]
            else:
                self.fail(exc)
            return None
        finally:
            self._done()
