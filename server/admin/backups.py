"""Backups the operator makes, lists, downloads and restores.

SQLite: the online backup API copies a consistent snapshot while the server runs (WAL), then an
integrity check; PostgreSQL: ``pg_dump -Fc``. Each backup gets a ``.sha256`` beside it, because
SQLite's integrity check proves the structure, not the data: a restore refuses a file whose digest
no longer matches. Restoring a SQLite backup copies it into the database through the same API
(never a file copy under a live WAL) and then migrates it to this release's schema.
PostgreSQL is restored with ``pg_restore`` into a fresh database (README: "Backup and restore").
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from ..settings import Settings

__all__ = [
    "Backup",
    "BackupError",
    "backup_dir",
    "find_backup",
    "list_backups",
    "make_backup",
    "restore_sqlite",
    "sha256_of",
]

_NAME = re.compile(r"^yongdon-\d{8}-\d{6}(-\d+)?\.(db|dump)$")


class BackupError(RuntimeError):
    """A backup or a restore could not be made safely; nothing was changed."""


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    size: int
    made_at: datetime
    verified: bool  # the file still has the digest recorded when it was made


def backup_dir(settings: Settings) -> Path:
    return settings.data_dir / "backups"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_digest(path: Path) -> None:
    _sidecar(path).write_text(f"{sha256_of(path)}  {path.name}\n", encoding="ascii")


def check_digest(path: Path) -> bool | None:
    """``True``/``False`` when a digest was recorded for ``path`` (matches or not), ``None`` if none was."""
    sidecar = _sidecar(path)
    if not sidecar.exists():
        return None
    return sidecar.read_text(encoding="ascii").split()[0] == sha256_of(path)


def make_backup(settings: Settings, now: datetime, target: Path | None = None) -> Path:
    """A new backup at ``target`` (default: ``<data dir>/backups/``, named by time), its digest beside it."""
    url = make_url(settings.database_url)
    sqlite = url.get_backend_name() == "sqlite"
    if target is None:
        folder = backup_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder, now, "db" if sqlite else "dump")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file")
    # a copy of the family's ledger is as private as the ledger: 0600 before a byte is written
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if sqlite:
        _sqlite_backup(str(url.database), target)
    else:
        _pg_dump(settings.database_url, target)
    _write_digest(target)
    return target


def _free_name(folder: Path, now: datetime, suffix: str) -> Path:
    stem = f"yongdon-{now:%Y%m%d-%H%M%S}"
    candidate, n = folder / f"{stem}.{suffix}", 1
    while candidate.exists():
        candidate, n = folder / f"{stem}-{n}.{suffix}", n + 1
    return candidate


def _sqlite_backup(database: str, target: Path) -> None:
    # one step (pages=-1): a stepwise copy restarts on every write and may never finish
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        target.unlink(missing_ok=True)
        raise BackupError(f"the backup failed its integrity check: {result}")


def _pg_target(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump (SQLAlchemy's has a driver suffix) without its password, which goes in
    the environment instead of the process list."""
    url = make_url(database_url).set(drivername="postgresql")
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else dict(os.environ)
    return url.set(password=None).render_as_string(hide_password=False), env


def _pg_dump(database_url: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: postgresql-client)")
    url, env = _pg_target(database_url)
    done = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        ["pg_dump", "-Fc", "--no-owner", "-f", str(target), "-d", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:300]}")


def list_backups(settings: Settings) -> list[Backup]:
    folder = backup_dir(settings)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if _NAME.match(path.name) and path.is_file():
            stat = path.stat()
            made = datetime.fromtimestamp(stat.st_mtime).astimezone()
            found.append(Backup(path.name, path, stat.st_size, made, check_digest(path) is True))
    return sorted(found, key=lambda b: b.name, reverse=True)


def find_backup(settings: Settings, name: str) -> Backup | None:
    """A listed backup by its file name (anything else, such as ``../secret.key``, is not one)."""
    return next((b for b in list_backups(settings) if b.name == name), None)


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace the SQLite database at ``database`` with ``backup``'s content, after checking it.

    Refuses (:class:`BackupError`) a file whose recorded digest no longer matches, one that is not a
    sound SQLite database, or one without a Yongdon schema. The copy goes through SQLite's backup
    API into the database, so a stale ``-wal`` can never mix old pages into the restored file.
    """
    if check_digest(backup) is False:
        raise BackupError(f"{backup.name} does not match the digest recorded when it was made")
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source:
            result = source.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{backup.name} failed its integrity check: {result}")
            tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "families", "users"} <= tables:
                raise BackupError(f"{backup.name} is not a Yongdon database")
            database.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(database)) as live:
                source.backup(live)
                live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup.name} is not a readable SQLite database ({error})") from error
