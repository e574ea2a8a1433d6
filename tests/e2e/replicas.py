"""The end of the journey, read from the databases themselves: each device's local replica against
the server's state for that device's scope, and how many times each device refreshed its session.

A device's replica is its confirmed state (``c_entity``: what the server sent, exactly as sent) in
its profile database under the app's data dir. The server's side is what a reset pull would send
that identity (``snapshot_of``, the same scoping as every pull). Quotes are left out: they are a
cache of prices served to the device, not family state.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import func, select

__all__ = ["Replica", "differences", "read_replica", "refreshes_by_device"]


@dataclass(frozen=True)
class Replica:
    client_id: str
    user_id: str
    role: str
    family_id: str
    display_name: str
    cursor: int
    pending: int
    entities: dict[tuple[str, str], Any]


def read_replica(path: Path) -> Replica:
    """A device's profile database, read-only (the app keeps writing it: WAL lets us read)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        meta = db.execute(
            "SELECT client_id, user_id, role, family_id, display_name, cursor FROM sync_meta"
        ).fetchone()
        pending = db.execute("SELECT count(*) FROM pending_mutation").fetchone()[0]
        rows = db.execute("SELECT entity, id, data FROM c_entity WHERE entity != 'quote'").fetchall()
    finally:
        db.close()
    entities = {(entity, id_): json.loads(data) for entity, id_, data in rows}
    return Replica(*meta, pending=pending, entities=entities)


def _as_sent(data: Any) -> Any:
    """The server's value as the wire carries it (timestamps as text, and so on)."""
    return msgspec.json.decode(msgspec.json.encode(data))


def server_view(database_url: str, replica: Replica, cipher: Any) -> tuple[int, dict[tuple[str, str], Any]]:
    """(the family's change-log head, what a reset pull would give this device's identity)."""
    from server.db import Database
    from server.db.models import User
    from server.game.writer import change_log_head
    from server.replication.pull import snapshot_of

    db = Database(database_url, cipher=cipher)
    try:
        with db.read() as s:
            head = change_log_head(s, replica.family_id)
            if replica.role == "child":
                children, own = [replica.user_id], []
            else:
                children = list(
                    s.scalars(
                        select(User.id)
                        .where(User.family_id == replica.family_id, User.role == "child")
                        .order_by(User.id)
                    )
                )
                own = [replica.user_id]
            changes = snapshot_of(s, replica.family_id, children, own)
    finally:
        db.dispose()
    return head, {(c.entity, c.id): _as_sent(c.data) for c in changes}


def differences(database_url: str, path: Path, cipher: Any) -> list[str]:
    """How the device at ``path`` differs from the server (empty once it has caught up)."""
    replica = read_replica(path)
    head, expected = server_view(database_url, replica, cipher)
    who = f"{replica.display_name} ({replica.role}, {replica.client_id})"
    problems = []
    if replica.pending:
        problems.append(f"{who}: {replica.pending} mutation(s) still waiting to be sent")
    if replica.cursor != head:
        problems.append(f"{who}: at cursor {replica.cursor}, the server at {head}")
    for key in sorted(expected.keys() - replica.entities.keys()):
        problems.append(f"{who}: missing {key}")
    for key in sorted(replica.entities.keys() - expected.keys()):
        problems.append(f"{who}: has {key} the server does not")
    for key in sorted(expected.keys() & replica.entities.keys()):
        if expected[key] != replica.entities[key]:
            problems.append(f"{who}: {key} differs: device {replica.entities[key]} server {expected[key]}")
    return problems


def refreshes_by_device(database_url: str) -> dict[str, int]:
    """How many times each device (client id) used a refresh token: one per access-token expiry
    it lived through while in use."""
    from server.db import Database
    from server.db.models import RefreshToken

    db = Database(database_url)
    try:
        with db.read() as s:
            rows = s.execute(
                select(RefreshToken.client_id, func.count())
                .where(RefreshToken.used_at.is_not(None))
                .group_by(RefreshToken.client_id)
            ).all()
    finally:
        db.dispose()
    return {str(client_id): int(n) for client_id, n in rows}
