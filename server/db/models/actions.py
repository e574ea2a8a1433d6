"""Corporate actions the server learned of, and which child each one was applied to.

An action is keyed by what it is (``<symbol>:<kind>:<ex-date>``), so two server processes that learn
of the same dividend record one row. An application row is written in the same transaction as the
child's ledger entries, under the family's write lock: its primary key (action, child) is what makes
"once per child" hold across restarts and racing processes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

__all__ = ["ActionApplication", "CorporateAction"]


class CorporateAction(Base):
    """A dividend (``amount`` per share in the symbol's minor units: won or micro-dollars) or a split
    (``numerator`` new shares for ``denominator`` old), effective from ``ex_date`` (exchange-local)."""

    __tablename__ = "corporate_actions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # "dividend" | "split"
    ex_date: Mapped[date]
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    numerator: Mapped[int] = mapped_column(Integer, default=1)
    denominator: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime]


# the pass looks at recent actions only: a range scan on the ex-date
Index("ix_corporate_actions_ex_date", CorporateAction.ex_date)


class ActionApplication(Base):
    """One action applied to one child: the shares it counted and what it posted (won or micro-shares)."""

    __tablename__ = "corporate_action_applications"
    action_id: Mapped[str] = mapped_column(
        ForeignKey("corporate_actions.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    shares: Mapped[int] = mapped_column(BigInteger)  # micro-shares held at the ex-date
    posted: Mapped[int] = mapped_column(BigInteger)  # won paid (dividend) or micro-shares added (split)
    applied_at: Mapped[datetime]
