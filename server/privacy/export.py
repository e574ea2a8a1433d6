"""A family's data, or one child's, as one JSON document, the ledger as CSV, and both in a zip.

Every table of :data:`HOLDINGS` appears: its rows (without ``secret`` columns) under ``tables``, or
its name under ``withheld`` with the reason. Rows are plain JSON: times in ISO 8601 (UTC), money as
integers, bytes never (every byte column is secret).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import LedgerEntry
from .holdings import HOLDINGS, Holding, Subject

__all__ = ["FORMAT", "LEDGER_COLUMNS", "export_document", "ledger_csv", "zipped"]

FORMAT = "yongdon-export/1"
LEDGER_COLUMNS = (
    "id",
    "child_id",
    "created_at",
    "kind",
    "account",
    "amount",
    "txn_id",
    "ref_id",
    "actor_id",
    "reason",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _rows(session: Session, holding: Holding, subject: Subject) -> list[dict[str, Any]]:
    table = holding.sa_table
    shown = [c for c in table.columns if c.name not in holding.secret]
    query = select(*shown).where(holding.rows_of(subject)).order_by(*table.primary_key.columns)
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in session.execute(query)]


def export_document(session: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    """Everything the server keeps of ``subject`` (see the module's docstring)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    withheld: dict[str, str] = {}
    for holding in HOLDINGS:
        if holding.withheld:
            withheld[holding.table] = holding.withheld
        else:
            tables[holding.table] = _rows(session, holding, subject)
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "family_id": subject.family_id,
        "child_id": subject.child_id,
        "tables": tables,
        "withheld": withheld,
        "secret_columns": {h.table: list(h.secret) for h in HOLDINGS if h.secret and not h.withheld},
    }


def ledger_csv(session: Session, subject: Subject) -> str:
    """Every ledger entry of ``subject``, oldest first, one row each (UTF-8 with a BOM, for Excel)."""
    query = (
        select(*(getattr(LedgerEntry, c) for c in LEDGER_COLUMNS))
        .where(LedgerEntry.family_id == subject.family_id)
        .order_by(LedgerEntry.id)
    )
    if subject.child_id is not None:
        query = query.where(LedgerEntry.child_id == subject.child_id)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    for row in session.execute(query):
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return out.getvalue()


def zipped(document: bytes, ledger: str) -> bytes:
    """The download the app saves: ``yongdon.json`` and ``ledger.csv``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("yongdon.json", document)
        archive.writestr("ledger.csv", ledger.encode("utf-8"))
    return buffer.getvalue()
