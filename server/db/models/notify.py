"""The in-app inbox and the per-channel delivery record of each outbox event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..sealed import Sealed, SealedJSON

__all__ = ["Delivery", "Notification"]

_BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER keys


class Notification(Base):
    """One inbox entry of one recipient, worded in the recipient's locale and for its role.

    ``child_id`` is the child the event is about (the recipient itself for a child's own entry);
    ``data`` holds the ids a screen links to (``trade_id``, ``request_id``, ``symbol``).
    """

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    child_id: Mapped[str | None] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Sealed("notifications.title", 200))
    body: Mapped[str] = mapped_column(Sealed("notifications.body", 500))
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("notifications.data"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


Index("ix_notifications_user_created", Notification.user_id, Notification.created_at)


class Delivery(Base):
    """One outbox event to one recipient over one channel: the idempotency key and the retry state.

    ``status`` is ``pending`` (not yet delivered; retried from ``next_attempt_at``), ``done`` or
    ``dead`` (gave up after the dispatcher's maximum attempts; the operator sees it).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "channel", "user_id", name="uq_deliveries_outbox_channel_user"),
    )
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


Index("ix_deliveries_status", Delivery.status)
