"""Payouts through a rail, the parents' encrypted bank accounts, notification preferences, push targets
and the parents' phone numbers for SMS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..sealed import Sealed

__all__ = ["BankAccount", "NotificationPref", "Payout", "PhoneNumber", "PushTarget"]


class Payout(Base):
    """One attempt to pay an approved request through a rail (``manual``, ``toss``, ``kakaopay``).

    ``status``: ``pending`` (a provider link waits to be completed), ``paid`` (the request was marked
    paid in the same transaction) or ``failed`` (the provider said no; the request stays approved).
    ``reference`` is the rail's own id (a Toss payout id, a KakaoPay ``tid``, a bank reference).
    """

    __tablename__ = "payouts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(40))
    rail: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    amount_real: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


Index("ix_payouts_request", Payout.request_id)


class BankAccount(Base):
    """A parent's bank account for a rail: the number only as AES-256-GCM ciphertext and a mask.

    The associated data binds the ciphertext to ``bank_accounts:number:<id>``: copied to another row
    it no longer decrypts.
    """

    __tablename__ = "bank_accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    bank: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(Sealed("bank_accounts.holder", 60))
    number_ct: Mapped[bytes] = mapped_column(LargeBinary)
    number_masked: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class NotificationPref(Base):
    """Which channels one user wants for one event; no row means the defaults of ``notify.preferences``."""

    __tablename__ = "notification_prefs"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    email: Mapped[bool]
    push: Mapped[bool]
    # SMS reaches a parent only once its phone number is verified (``PhoneNumber``); off unless chosen
    sms: Mapped[bool] = mapped_column(default=False, server_default=false())


class PushTarget(Base):
    """A device's FCM registration token (ntfy topics are derived from the user, not stored)."""

    __tablename__ = "push_targets"
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_push_targets_user_client"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime]


class PhoneNumber(Base):
    """A parent's mobile number for SMS (children never have one), sealed at rest (``number``).

    The number is usable once ``verified_at`` is set: the parent typed back the 6-digit code sent
    to it. While a code is out, ``code_hash`` is its HMAC under a key derived from the pin pepper
    (a stolen database alone cannot read it back), with its expiry and the wrong tries it took.
    ``sent_at`` is when the last code was sent (the next may follow a minute later).
    """

    __tablename__ = "phone_numbers"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(Sealed("phone_numbers.number", 20))
    verified_at: Mapped[datetime | None]
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_tries: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
