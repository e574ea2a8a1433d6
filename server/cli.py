"""``yongdon``: run the family server, the demo, and operator tasks (setup token, migrate, backup)."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from .settings import Settings, SettingsError

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    data_dir = Path(args.data_dir or os.environ.get("YONGDON_DATA_DIR") or "./data")
    overrides = {k: getattr(args, k, None) for k in ("host", "port", "database_url")}
    return Settings.for_data_dir(data_dir, **overrides)


def _serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # our request log replaces uvicorn's access log (which would also print query strings)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, access_log=False, log_config=None
    )


def cmd_server(args: argparse.Namespace) -> None:
    _serve(_settings(args))


def cmd_demo(args: argparse.Namespace) -> None:
    from .db import Database, utcnow
    from .db.migrate import upgrade
    from .demo import seed_demo

    settings = _settings(args).with_overrides(host="127.0.0.1", announce_setup_token=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        demo = seed_demo(db, settings, utcnow())
    finally:
        db.dispose()
    url = f"http://{settings.host}:{settings.port}"
    print(f"Yongdon demo on {url}  (API docs: {url}/schema, data: {settings.data_dir})")
    print(f"  parent  엄마  {demo.email}  password: {demo.password}")
    for child in demo.children:
        print(f"  child   {child.name}  ({child.preset})  PIN: {child.pin}  device: {child.client_id}")
    print("Press Ctrl-C to stop.")
    _serve(settings)


def cmd_setup_token(args: argparse.Namespace) -> None:
    from .accounts.setup import new_setup_token
    from .db import Database
    from .db.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        token = new_setup_token(db)
    finally:
        db.dispose()
    if token is None:
        sys.exit("an operator account already exists; no setup token is needed")
    print(token)


def cmd_migrate(args: argparse.Namespace) -> None:
    from .db.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print("database is at the latest schema")


def cmd_outbox(args: argparse.Namespace) -> None:
    from .db import Database
    from .db.migrate import upgrade
    from .notify.dispatcher import outbox_status, requeue_dead

    settings = _settings(args)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        if args.requeue_dead:
            print(f"requeued: {requeue_dead(db)}")
        counts = outbox_status(db)
    finally:
        db.dispose()
    for key, value in counts.items():
        print(f"{key}: {value}")


def cmd_backup(args: argparse.Namespace) -> None:
    url = make_url(_settings(args).database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        sys.exit("backup copies the SQLite database; for PostgreSQL use pg_dump")
    target = Path(args.path)
    if target.exists():
        sys.exit(f"{target} exists; choose a new file")
    # the online backup API copies a consistent snapshot while the server keeps running (WAL)
    with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        sys.exit(f"the backup failed its integrity check: {result}")
    print(f"backed up to {target}")


def _common(parser: argparse.ArgumentParser, *, serve: bool = False) -> None:
    parser.add_argument("--data-dir", help="data directory (default ./data or $YONGDON_DATA_DIR)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    if serve:
        parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (default 8787)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yongdon", description="Yongdon (용돈) family server")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="run the family server")
    _common(server, serve=True)
    server.set_defaults(run=cmd_server)
    demo = commands.add_parser("demo", help="run a local server with a demo family")
    demo.add_argument("--data-dir", default="./data/demo", help="demo data directory (default ./data/demo)")
    demo.add_argument("--port", type=int, help="port (default 8787)")
    demo.set_defaults(run=cmd_demo)
    admin = commands.add_parser("admin", help="operator tasks").add_subparsers(dest="task", required=True)
    for name, run, text in [
        ("setup-token", cmd_setup_token, "print a new one-time token to create the operator account"),
        ("migrate", cmd_migrate, "upgrade the database schema"),
        ("backup", cmd_backup, "copy the SQLite database to PATH (consistent while running)"),
        ("outbox", cmd_outbox, "count undelivered events and notification deliveries by status"),
    ]:
        task = admin.add_parser(name, help=text)
        _common(task)
        if name == "backup":
            task.add_argument("path", help="the new backup file")
        if name == "outbox":
            task.add_argument("--requeue-dead", action="store_true", help="retry the dead deliveries")
        task.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except SettingsError as error:
        sys.exit(f"yongdon: {error}")
    except KeyboardInterrupt:
        pass
