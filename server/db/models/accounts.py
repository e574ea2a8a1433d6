"""Families, users, devices and the credentials that bind them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..sealed import Sealed, listen_for_emails

__all__ = ["Device", "Family", "PairingCode", "RefreshToken", "ServerMeta", "User"]


class Family(Base):
    """The tenant. Every family-owned row carries ``family_id``; writes lock this row on PostgreSQL."""

    __tablename__ = "families"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Sealed("families.name", 100))
    created_at: Mapped[datetime]
    # set by the server's operator: no member can sign in or refresh until it is cleared
    disabled_at: Mapped[datetime | None]


class User(Base):
    """A parent, a child or the operator (ADMIN, no family). Children have no e-mail or phone.

    ``display_name`` and ``email`` are sealed at rest (:mod:`server.db.sealed`); a user is found by
    e-mail through ``email_hash`` (set from ``email`` on every write), never by ``email`` itself.
    """

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(Sealed("users.display_name", 60))
    email: Mapped[str | None] = mapped_column(Sealed("users.email", 254), unique=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    birth_year: Mapped[int | None]
    avatar: Mapped[str | None] = mapped_column(String(40))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(default=0)
    pin_locked: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(10), default="ko")
    created_at: Mapped[datetime]
    # bumped to revoke every access token issued before it (password change, logout everywhere)
    tokens_valid_after: Mapped[datetime | None]


listen_for_emails(User)


class Device(Base):
    """One installation of the app (its ``client_id``), bound to one user. Carries the push cursor."""

    __tablename__ = "devices"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    last_seq: Mapped[int] = mapped_column(default=0)
    # the highest change-log cursor served to this device, for the "newest quote served" fill rule
    served_cursor: Mapped[int] = mapped_column(default=0)


class RefreshToken(Base):
    """An opaque refresh token, stored as its SHA-256. Rotated on every use; reuse revokes the chain."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    chain_id: Mapped[str] = mapped_column(String(40), index=True)  # the token family of RFC 9700
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # absolute: the chain's start + 7 days
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PairingCode(Base):
    """A single-use code that enrols a child's device or invites a second parent."""

    __tablename__ = "pairing_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    child_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ServerMeta(Base):
    """Small server-wide facts (the one-time setup token's hash, the data format version)."""

    __tablename__ = "server_meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


Index("ix_refresh_tokens_user_client", RefreshToken.user_id, RefreshToken.client_id)
# retention prunes by these (``server.privacy.retention.prune_credentials``)
Index("ix_refresh_tokens_user_created", RefreshToken.user_id, RefreshToken.created_at)
Index("ix_refresh_tokens_expires_at", RefreshToken.expires_at)
Index("ix_pairing_codes_expires_at", PairingCode.expires_at)
