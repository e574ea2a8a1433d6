"""A family server that moved to a new address (a new box, a new name): a parent moves this
installation there, with the password again — from parent mode's server screen, or from the mode
switch on a child's device when the old address no longer answers.

Nothing changes unless the new address answers (``/ready``) and signs this parent in with the
password (the step-up) as the same user of the same family — a server that keeps another family, or
none, is refused. Then every identity of this family on the installation follows, keeping its
``client_id``, local database and queue (the same server keeps their sessions too), and the queue is
sent to the new address at once. The parent's session is the one just made there.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

from .net.api import ApiClient, ApiError, Session
from .store import LocalStore
from .vault import MemoryVault

if TYPE_CHECKING:
    from .profile import Identity, Profile
    from .runtime import Runtime

__all__ = ["SERVER_NOT_OURS", "move_installation"]

SERVER_NOT_OURS = "SERVER_NOT_OURS"


async def move_installation(runtime: Runtime, parent: Identity, server_url: str, password: str) -> Profile:
    """Move ``parent``'s family on this installation to ``server_url``; the parent's profile, open
    and signed in there (opened if it was not)."""
    new = server_url.strip().rstrip("/")
    if parent.role != "parent":
        raise ValueError("only a parent moves the family's server")
    tokens = await _sign_in_there(runtime, parent, new, password)
    old_refresh = await runtime.vault.get(parent.client_id)
    for identity in runtime.identities():
        if identity.family_id != parent.family_id:
            continue
        if (open_profile := runtime.profiles.get(identity.client_id)) is not None:
            await open_profile.move_to(new)
            continue
        store = LocalStore.open(runtime.db_path(identity.client_id))
        try:
            store.set_meta(server_url=new)
        finally:
            store.close()
    await runtime.vault.set(parent.client_id, str(tokens["refresh_token"]))
    profile = await runtime.resume(dataclasses.replace(parent, server_url=new))
    assert profile is not None  # the vault holds its sign-in a moment ago
    await profile.api.session.adopt(tokens)
    if old_refresh:
        with contextlib.suppress(ApiError):  # the same server: end the old sign-in (it also runs out)
            await profile.api.request(
                "POST", "/api/auth/logout", json_body={"refresh_token": old_refresh}, auth=False
            )
    return profile


async def _sign_in_there(runtime: Runtime, parent: Identity, url: str, password: str) -> dict[str, Any]:
    """The connection test, then the password at the new address, on a probe with its own vault:
    until the move, the device's sessions stay exactly as they were."""
    session = Session(client_id=parent.client_id, vault=MemoryVault(), clock=runtime.clock)
    probe = ApiClient(url, session, transport=runtime.transport)
    try:
        await probe.request("GET", "/ready", auth=False)
        tokens = await probe.login(await runtime.email_of(parent), password)
        if (tokens["user_id"], tokens["family_id"]) != (parent.user_id, parent.family_id):
            with contextlib.suppress(ApiError):
                await probe.logout()
            raise ApiError(409, SERVER_NOT_OURS, {"why": "that server keeps another family"})
        return tokens
    finally:
        await probe.close()
