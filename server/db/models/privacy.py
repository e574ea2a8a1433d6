"""A family's data rights: erasures a parent asked for, waiting out their cooling-off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

__all__ = ["PARENT", "RETENTION", "Erasure"]

PARENT, RETENTION = "parent", "retention"  # why an erasure is pending (Erasure.reason)


class Erasure(Base):
    """A pending erasure of one child (``child_id``) or the whole family (``child_id`` null).

    ``reason`` is ``parent`` (a parent asked: ``requested_by``) or ``retention`` (the family was
    inactive for the retention period and its parents were told: ``requested_by`` null; any member's
    activity after ``requested_at`` calls it off, see :mod:`server.privacy.retention`).
    It runs at ``due_at`` (the cooling-off or grace after ``requested_at``) unless a parent cancels it
    first; cancelling deletes the row, and running it deletes the row with everything it names.
    """

    __tablename__ = "erasures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(10), default=PARENT, server_default=PARENT)
