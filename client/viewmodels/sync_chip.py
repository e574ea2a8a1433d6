"""The always-visible sync state: "synced 2 min ago" / "offline — 3 changes waiting"."""

from __future__ import annotations

from typing import Any

from .base import Tools
from .errors import explain

__all__ = ["chip_hint", "connection_banner", "sync_chip"]


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


def chip_hint(status: Any, tools: Tools) -> str:
    """What tapping the chip does (its tooltip): sync now, or, signed out, unlock. The chip itself
    stays a few words, so it never pushes the screen's title out of the app bar."""
    return tools.tr("sync.tap_unlock" if str(status.state) == "signed_out" else "sync.tap")


def connection_banner(status: Any, pending: list[Any], tools: Tools, *, parent: bool = False) -> str | None:
    """The offline banner, in words: no connection, what happens to orders (a parent's approvals
    and payouts), how many wait. ``None`` while the server answers (the chip alone tells then)."""
    if str(status.state) != "offline":
        return None
    tr = tools.tr
    if parent:  # a parent places no orders: every change waiting is theirs
        words = [tr("offline.banner_parent")]
        return " ".join([*words, tr("offline.changes_waiting", n=len(pending))] if pending else words)
    orders = sum(1 for p in pending if str(p.name).startswith("trade.place"))
    others = len(pending) - orders
    parts = [tr("offline.banner")]
    if orders:
        parts.append(tr("offline.orders_waiting", n=orders))
    if others:
        parts.append(tr("offline.others_waiting", n=others))
    return " ".join(parts)
