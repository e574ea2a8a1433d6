"""Parent missions (``sync.missions``): a goal a parent set for a child, and when it ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

__all__ = ["MissionRow"]


class MissionRow(Base):
    """One mission. Open while neither ``completed_at`` nor ``cancelled_at`` is set; its reward is
    the server action ``mission:<id>`` (one per mission: the primary key of ``server_actions``)."""

    __tablename__ = "missions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[int] = mapped_column(Integer)
    reward: Mapped[int] = mapped_column(BigInteger)  # game won, never real money
    created_by: Mapped[str] = mapped_column(String(40))  # the parent (an opaque id: it may be erased)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(40))


# the open missions of a child, looked up after each of its changes
Index("ix_missions_child_open", MissionRow.child_id, MissionRow.completed_at, MissionRow.cancelled_at)
