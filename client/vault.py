"""Where a device keeps its refresh tokens: the OS credential store, else this process's memory.

A refresh token is a 7-day key to a child's or parent's account, so it is written to disk only where
the OS protects it. When no secure store exists (a headless Linux box, the web view on a server, or
``keyrings.alt`` which writes base64 to a file) the vault keeps it in memory for the life of the
process: the session keeps refreshing while the app runs, and the next start asks for the PIN or
password again (security.md, Tokens; research/flet.md §6).

The protocol is async because the mobile store (flutter_secure_storage through Flet) is.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from typing import Any, Protocol

__all__ = [
    "OFFLINE_PIN_TRIES",
    "KeyringVault",
    "MemoryVault",
    "SecureStorageVault",
    "TokenVault",
    "is_secure_backend",
    "pin_matches",
    "pin_verifier",
]

log = logging.getLogger(__name__)

SERVICE = "yongdon"
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class TokenVault(Protocol):
    """One refresh token per ``client_id`` (one enrolled identity on this installation)."""

    async def get(self, client_id: str) -> str | None: ...
    async def set(self, client_id: str, token: str) -> None: ...
    async def delete(self, client_id: str) -> None: ...


class MemoryVault:
    """Tokens in a dict: tests, and the state of a vault that must not remember across restarts."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    async def get(self, client_id: str) -> str | None:
        return self.tokens.get(client_id)

    async def set(self, client_id: str, token: str) -> None:
        self.tokens[client_id] = token

    async def delete(self, client_id: str) -> None:
        self.tokens.pop(client_id, None)


def is_secure_backend(backend: Any) -> bool:
    """False for keyring's fail/null backends, anything from ``keyrings.alt`` (plaintext or a file
    only as safe as its own prompt), and a chainer that holds nothing else."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return any(is_secure_backend(b) for b in backend.backends)
    return not type(backend).__module__.startswith(_INSECURE_MODULES)


class KeyringVault:
    """The OS credential store through ``keyring``, with this process's memory in front of it.

    Every token is held in memory for the life of the process, so a session keeps refreshing even
    when the store is insecure (nothing is written then) or fails for a moment (a locked store must
    not leave the device presenting an already rotated token, which ends the whole session).
    ``persistent`` says whether a sign-in outlives the process. ``backend`` defaults to keyring's
    choice (``keyring.get_keyring()``); tests pass one.
    """

    def __init__(self, backend: Any | None = None, *, service: str = SERVICE) -> None:
        import keyring

        self.backend = backend if backend is not None else keyring.get_keyring()
        self.service = service
        self.secure = is_secure_backend(self.backend)
        self.memory = MemoryVault()
        if not self.secure:
            # why: a plaintext or absent store must not hold a 7-day account key; sign in again instead
            log.warning(
                "no secure credential store (%s): sign-ins last until the app closes",
                type(self.backend).__name__,
            )

    @property
    def persistent(self) -> bool:
        return self.secure

    async def get(self, client_id: str) -> str | None:
        if (kept := await self.memory.get(client_id)) is not None or not self.secure:
            return kept
        value = self._call("get_password", client_id)
        return str(value) if value else None

    async def set(self, client_id: str, token: str) -> None:
        await self.memory.set(client_id, token)
        if self.secure:
            self._call("set_password", client_id, token)

    async def delete(self, client_id: str) -> None:
        await self.memory.delete(client_id)
        if self.secure:
            self._call("delete_password", client_id)

    def _call(self, method: str, *args: str) -> Any:
        from keyring.errors import KeyringError

        try:
            return getattr(self.backend, method)(self.service, *args)
        except KeyringError as error:
            # a locked or vanished store behaves like an empty one: the user signs in again
            log.warning("credential store %s failed: %s", method, type(error).__name__)
            return None


class SecureStorageVault:
    """Android/iOS: Flet's ``flet-secure-storage`` (flutter_secure_storage). Untested here: it needs
    a Flutter client. ``storage`` is a ``flet_secure_storage.SecureStorage`` (async get/set/remove)."""

    def __init__(self, storage: Any, *, prefix: str = f"{SERVICE}.refresh.") -> None:
        self.storage, self.prefix = storage, prefix

    async def get(self, client_id: str) -> str | None:
        value = await self.storage.get(self.prefix + client_id)
        return str(value) if value else None

    async def set(self, client_id: str, token: str) -> None:
        await self.storage.set(self.prefix + client_id, token)

    async def delete(self, client_id: str) -> None:
        await self.storage.remove(self.prefix + client_id)


# -- the child's PIN, checked on the device while offline -------------------------------------------
OFFLINE_PIN_TRIES = 10  # like the server's lockout; after that only the server can unlock
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~50 ms a check; stdlib only (mobile builds too)


def pin_verifier(pin: str) -> str:
    """A salted scrypt hash of ``pin`` (kept in the profile's database, never the PIN itself)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, verifier: str) -> bool:
    try:
        kind, salt, expected = verifier.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), expected)
