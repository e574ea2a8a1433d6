"""Personal fields sealed at rest (AES-256-GCM, ``YONGDON_DATA_KEYS``): names and e-mails (issue 18),
and the sentence a child writes on a trade (the trade journal, issue 19).

A column of type :class:`Sealed` stores :data:`MARK` + base64 of the
:class:`~server.payment.crypto.FieldCipher` blob (key id, nonce, ciphertext and tag), bound to
``table:column`` as associated data (a value copied to another column does not open; unlike the
payout account number it is not bound to its row, so a Core ``UPDATE`` can write it). A JSON column
of type :class:`SealedJSON` keeps its ids and amounts plain, so rows can still be found by the ids
they mention, and seals only the values under :data:`NAME_KEYS` (names copied into notifications,
the outbox and the change log).

The cipher belongs to the engine: :meth:`server.db.Database` registers the one from its settings
(``bind_cipher``). A value written before the upgrade (no mark) still reads as it is; the migration
``seal_personal_fields`` seals them all. A handle without keys (a bare engine) reads the stored
text — which is how the at-rest test sees what a stolen database file would show — and refuses to
write a sealed column.

E-mail lookups use ``users.email_hash``: an HMAC-SHA256 of the normalised address under a key derived
from each data key (:func:`lookup_hashes`), the current key's for new rows. After a key rotation,
rows written under an older key are still found (every key's hash is tried) until rewritten.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String, Text, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from ..payment.crypto import FieldCipher

__all__ = [
    "MARK",
    "NAME_KEYS",
    "NoDataKeys",
    "Sealed",
    "SealedJSON",
    "bind_cipher",
    "cipher_of",
    "email_lookup",
    "listen_for_emails",
    "lookup_hashes",
    "normal_email",
    "open_text",
    "seal_doc",
    "seal_text",
]

MARK = (
    "\x01s1:"  # a sealed value's prefix: a control character, which no name or e-mail may hold (NO_CONTROL)
)
NAME_KEYS = frozenset({"display_name", "who", "child", "sender", "title", "body", "journal"})
"""Keys of a JSON document whose string values are sealed (at any depth): names, and a child's own
words on a trade (``journal``: the trade journal is free text, so it may name anyone)."""

_CIPHERS: weakref.WeakKeyDictionary[Dialect, FieldCipher] = weakref.WeakKeyDictionary()


class NoDataKeys(RuntimeError):
    """A sealed column was written through a database handle that has no data keys."""


def bind_cipher(engine: Engine, cipher: FieldCipher) -> None:
    """Seal and open this engine's personal fields with ``cipher``."""
    _CIPHERS[engine.dialect] = cipher


def cipher_of(dialect: Dialect) -> FieldCipher | None:
    return _CIPHERS.get(dialect)


def seal_text(cipher: FieldCipher, plain: str, label: str) -> str:
    table, _, column = label.partition(".")
    blob = cipher.seal(plain, table=table, column=column, row_id="")
    return MARK + base64.b64encode(blob).decode("ascii")


def open_text(cipher: FieldCipher | None, stored: str, label: str) -> str:
    if cipher is None or not stored.startswith(MARK):
        return stored  # written before the upgrade, or read without keys: as stored
    table, _, column = label.partition(".")
    return cipher.open(base64.b64decode(stored[len(MARK) :]), table=table, column=column, row_id="")


def _may_name(doc: Any) -> bool:
    """Whether ``doc`` holds a string under a :data:`NAME_KEYS` key, at any depth.

    Most documents hold ids and amounts only (a trade, a balance, a mutation's arguments): looking
    costs half of rebuilding them (the rebuild took a fifth of a batched push of 500 trades), and a
    document with nothing to seal or open is then passed on as it is.
    """
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if not NAME_KEYS.isdisjoint(value) and any(
                isinstance(value[key], str) for key in NAME_KEYS.intersection(value)
            ):
                return True
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        stack.extend(child for child in children if isinstance(child, dict | list))
    return False


def _doc(value: Any, change: Any) -> Any:
    # a scalar is returned where it is met, not through a call of its own: a notification's document
    # is mostly numbers, and a call per value was most of sealing one (the outbox's drain)
    if isinstance(value, dict):
        return {
            k: (
                (change(v) if k in NAME_KEYS else v)
                if isinstance(v, str)
                else _doc(v, change)
                if isinstance(v, dict | list)
                else v
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_doc(v, change) if isinstance(v, dict | list) else v for v in value]
    return value


def seal_doc(cipher: FieldCipher, doc: Any, label: str) -> Any:
    if not _may_name(doc):
        return doc
    return _doc(doc, lambda v: v if v.startswith(MARK) else seal_text(cipher, v, label))


def open_doc(cipher: FieldCipher | None, doc: Any, label: str) -> Any:
    if cipher is None or not _may_name(doc):
        return doc
    return _doc(doc, lambda v: open_text(cipher, v, label))


class Sealed(TypeDecorator[str]):
    """A text column holding a personal value, sealed (see the module's docstring).

    ``length`` is the plain value's limit (the API enforces it); the stored text is longer, so
    PostgreSQL keeps it as ``TEXT`` (SQLite does not enforce lengths).
    """

    impl = String
    cache_ok = True

    def __init__(self, label: str, length: int) -> None:
        super().__init__(length)
        self.label = label

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return Text()
        return dialect.type_descriptor(String(self.impl.length))  # type: ignore[attr-defined]

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(MARK):
            return value
        cipher = cipher_of(dialect)
        if cipher is None:
            raise NoDataKeys(f"{self.label} is sealed: open the database with its data keys")
        return seal_text(cipher, value, self.label)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else open_text(cipher_of(dialect), value, self.label)


class SealedJSON(TypeDecorator[Any]):
    """A JSON document whose :data:`NAME_KEYS` values are sealed; ids and amounts stay plain."""

    impl = JSON
    cache_ok = True

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(JSON(none_as_null=dialect.name == "postgresql"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        cipher = cipher_of(dialect)
        if cipher is None:
            if _has_names(value):
                raise NoDataKeys(f"{self.label} is sealed: open the database with its data keys")
            return value
        return seal_doc(cipher, value, self.label)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else open_doc(cipher_of(dialect), value, self.label)


def _has_names(doc: Any) -> bool:
    if not _may_name(doc):
        return False
    found: list[bool] = []
    _doc(doc, lambda v: found.append(not v.startswith(MARK)) or v)
    return any(found)


def normal_email(email: str) -> str:
    return email.strip().lower()


def _lookup_key(key: bytes) -> bytes:
    return hmac.new(key, b"yongdon lookup hash v1", hashlib.sha256).digest()


def lookup_hashes(cipher: FieldCipher, email: str, *, current_only: bool = False) -> list[str]:
    """The e-mail's lookup hashes: the current key's first, then every older key's."""
    ids = [cipher.current] + ([] if current_only else [k for k in sorted(cipher.keys) if k != cipher.current])
    value = normal_email(email).encode()
    return [hmac.new(_lookup_key(cipher.keys[k]), value, hashlib.sha256).hexdigest() for k in ids]


def email_lookup(session: Session, email: str) -> list[str]:
    """What ``users.email_hash`` holds for ``email`` under any data key of the session's database."""
    cipher = cipher_of(session.get_bind().dialect)
    if cipher is None:
        raise NoDataKeys("looking users up by e-mail needs the data keys")
    return lookup_hashes(cipher, email)


def hash_email_before_write(mapper: Any, connection: Any, target: Any) -> None:
    """``users.email_hash`` follows ``users.email`` (mapper event on ``User``)."""
    email = target.email
    if email is None:
        target.email_hash = None
        return
    if email.startswith(MARK):
        return
    cipher = cipher_of(connection.dialect)
    if cipher is None:
        raise NoDataKeys("users.email is sealed: open the database with its data keys")
    target.email_hash = lookup_hashes(cipher, email, current_only=True)[0]


def listen_for_emails(user_class: type) -> None:
    event.listen(user_class, "before_insert", hash_email_before_write)
    event.listen(user_class, "before_update", hash_email_before_write)
