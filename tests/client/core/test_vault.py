"""The token vault keeps refresh tokens only in a secure credential store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from client.vault import KeyringVault, MemoryVault, is_secure_backend

pytestmark = pytest.mark.anyio


class MemoryKeyring(KeyringBackend):
    """An in-memory stand-in for a secure OS store (the Secret Service, macOS Keychain, …)."""

    # negative: keyring registers every subclass, and this one must never be picked automatically
    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.data:
            raise PasswordDeleteError("no such password")
        del self.data[(service, username)]


def plaintext_keyring_class() -> type[KeyringBackend]:
    """``keyrings.alt.file.PlaintextKeyring`` when installed, else a class from that module path
    (the vault judges a backend by where it comes from; keyrings.alt is not a dependency here)."""
    try:
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-not-found]
    except ImportError:
        PlaintextKeyring = type(  # noqa: N806
            "PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"}
        )
    return PlaintextKeyring


async def test_a_secure_store_keeps_replaces_and_forgets_the_token() -> None:
    backend = MemoryKeyring()
    vault = KeyringVault(backend)
    assert vault.secure
    await vault.set("client-1", "refresh-a")
    await vault.set("client-1", "refresh-b")
    assert await vault.get("client-1") == "refresh-b"
    assert await vault.get("client-2") is None
    await vault.delete("client-1")
    await vault.delete("client-1")  # forgetting twice is harmless
    assert await vault.get("client-1") is None


@pytest.mark.parametrize("backend_class", [fail.Keyring, null.Keyring, plaintext_keyring_class()])
async def test_insecure_backends_keep_the_token_in_memory_only(backend_class: type[KeyringBackend]) -> None:
    backend = backend_class()
    vault = KeyringVault(backend)
    assert not vault.secure and not vault.persistent
    await vault.set("client-1", "refresh-a")  # no error: the session lives as long as the process
    await vault.set("client-1", "refresh-b")
    assert await vault.get("client-1") == "refresh-b"
    if isinstance(backend, MemoryKeyring):
        assert backend.data == {}, "the token reached a plaintext file"
    assert await KeyringVault(backend).get("client-1") is None  # the next start asks for the PIN
    await vault.delete("client-1")
    assert await vault.get("client-1") is None


class FailingKeyring(MemoryKeyring):
    """A secure store that is locked for a moment: every call fails."""

    def set_password(self, service: str, username: str, password: str) -> None:
        from keyring.errors import PasswordSetError

        raise PasswordSetError("locked")


async def test_a_store_that_fails_to_save_still_refreshes_with_the_newest_token() -> None:
    """A failed write must not leave the old (rotated) token in use: presenting it again ends the
    whole session on the server."""
    vault = KeyringVault(FailingKeyring())
    assert vault.secure
    await vault.set("client-1", "refresh-b")
    assert await vault.get("client-1") == "refresh-b"


class FixedChainer(chainer.ChainerBackend):
    priority = -1  # type: ignore[assignment]
    backends: list[KeyringBackend] = []  # type: ignore[assignment]


def test_a_chainer_is_as_secure_as_its_best_backend() -> None:
    insecure = FixedChainer()
    insecure.backends = [fail.Keyring(), plaintext_keyring_class()()]
    assert not is_secure_backend(insecure)
    secure = FixedChainer()
    secure.backends = [plaintext_keyring_class()(), MemoryKeyring()]
    assert is_secure_backend(secure)


def test_the_default_backend_of_a_headless_box_is_refused() -> None:
    """With no Secret Service keyring falls back to its fail backend (research/flet.md §6): the
    default vault then remembers nothing. A fresh process: this one has test backends registered."""
    code = (
        "from client.vault import KeyringVault as V; import keyring; v = V(); "
        "print(type(v.backend).__module__, v.secure)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    module, secure = out.stdout.split()
    if module.startswith("keyring.backends.chainer"):
        pytest.skip("this machine has a real credential store")
    assert module == "keyring.backends.fail" and secure == "False", out.stdout


async def test_memory_vault() -> None:
    vault = MemoryVault()
    await vault.set("c", "t")
    assert await vault.get("c") == "t"
    await vault.delete("c")
    assert await vault.get("c") is None
