"""AES-256-GCM for fields at rest (security.md "Data protection"): a parent's bank account number.

A sealed value is ``key id (1 byte) || nonce (12 bytes) || ciphertext+tag``. The associated data is
``table:column:row id``, so a ciphertext copied into another row (or column) fails to open instead
of revealing the number there. The key id lets keys rotate: new values use the first key, old ones
open with the key they name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..settings import Settings, SettingsError

__all__ = ["FieldCipher", "SealError", "cipher_from_settings", "mask_account"]

_NONCE = 12


class SealError(Exception):
    """The value does not open here: another row's ciphertext, a tampered byte or an unknown key."""


@dataclass(frozen=True)
class FieldCipher:
    keys: dict[int, bytes]  # key id → 32-byte key
    current: int

    def __post_init__(self) -> None:
        if self.current not in self.keys or any(len(k) != 32 for k in self.keys.values()):
            raise SettingsError("data keys must be 32 bytes (AES-256) and include the current key")

    @staticmethod
    def _aad(table: str, column: str, row_id: str) -> bytes:
        return f"{table}:{column}:{row_id}".encode()

    def seal(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        nonce = os.urandom(_NONCE)  # random 96-bit nonces: far below the 2^32 messages per key limit
        sealed = AESGCM(self.keys[self.current]).encrypt(
            nonce, plaintext.encode(), self._aad(table, column, row_id)
        )
        return bytes([self.current]) + nonce + sealed

    def open(self, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        if len(blob) < 1 + _NONCE + 16 or blob[0] not in self.keys:
            raise SealError("unknown key or truncated value")
        nonce, sealed = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            plain = AESGCM(self.keys[blob[0]]).decrypt(nonce, sealed, self._aad(table, column, row_id))
        except InvalidTag:
            raise SealError("the value does not belong to this row or was altered") from None
        return plain.decode()


def cipher_from_settings(settings: Settings) -> FieldCipher:
    """Keys from ``YONGDON_DATA_KEYS`` (``id:base64,…``, the first is current), else one derived key.

    The derived key (id 0) comes from the PIN pepper under its own label: a family server needs no
    extra configuration, and the pepper already must never change (it would invalidate every PIN).
    """
    if not settings.data_keys:
        derived = hmac.new(settings.pin_pepper.encode(), b"yongdon data key v1", hashlib.sha256).digest()
        return FieldCipher({0: derived}, 0)
    keys: dict[int, bytes] = {}
    order: list[int] = []
    for part in settings.data_keys.split(","):
        key_id, _, encoded = part.strip().partition(":")
        try:
            number, key = int(key_id), base64.b64decode(encoded, validate=True)
        except ValueError:
            raise SettingsError("YONGDON_DATA_KEYS must look like '1:<base64 of 32 bytes>,…'") from None
        if not 0 <= number <= 255:
            raise SettingsError("a data key id is 0–255")
        keys[number] = key
        order.append(number)
    return FieldCipher(keys, order[0])


def mask_account(number: str) -> str:
    """``110-123-456789`` → ``*********6789``: enough for a parent to recognise, useless to anyone else."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
