"""The always-visible sync state: "synced 2 min ago" / "offline — 3 changes waiting"."""

from __future__ import annotations

from typing import Any

from .base import Tools
from .errors import explain

__all__ = ["sync_chip"]


def sync_chip(status: Any, tools: Tools) -> tuple[str, str]:
    """(text, tone) for a ``SyncStatus``; tone is ok | busy | warn | error for the chip's colour."""
    tr, state, pending = tools.tr, str(status.state), status.pending
    waiting = tr("sync.waiting", n=pending) if pending else ""
    if state == "syncing":
        return tr("sync.syncing"), "busy"
    if state == "offline":
        if not pending:
            return tr("sync.offline"), "warn"
        text = tr("sync.offline_waiting_one") if pending == 1 else tr("sync.offline_waiting", n=pending)
        return text, "warn"
    if state == "needs_update":
        return tr("sync.needs_update"), "error"
    if state == "signed_out":
        return tr("sync.signed_out"), "error"
    if state == "error":
        return explain(tr, status.code), "error"
    if status.last_synced_at is None:
        return tr("sync.never") + waiting, "warn"
    ago = tools.fmt.ago(tools.clock() - status.last_synced_at)
    return tr("sync.synced", ago=ago) + waiting, ("warn" if pending else "ok")
