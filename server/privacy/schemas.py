"""The wire shapes of the data-rights routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["EraseBody", "ErasureOut", "Erasures", "ExportFormat"]

ExportFormat = Literal["json", "csv", "zip"]


class EraseBody(msgspec.Struct, forbid_unknown_fields=True):
    """The parent's confirmation: ``true``, after the app showed what will be lost."""

    confirm: bool


class ErasureOut(msgspec.Struct):
    """A pending erasure: the whole family (``child_id`` null) or one child, and when it will run."""

    erasure_id: str
    child_id: str | None
    requested_by: str | None  # null: the retention job (the family was inactive)
    reason: str  # "parent" or "retention"
    requested_at: datetime
    due_at: datetime


class Erasures(msgspec.Struct):
    erasures: list[ErasureOut]
