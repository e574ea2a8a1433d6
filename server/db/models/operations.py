"""What the server's operator did: the console's and the CLI's audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

__all__ = ["OperatorAction"]

_BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER keys


class OperatorAction(Base):
    """One operator action: who (the ADMIN's user id, or ``cli``), what, on what, and how it ended.

    ``target`` is an opaque id or a file name, never a family's data.
    """

    __tablename__ = "operator_actions"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
