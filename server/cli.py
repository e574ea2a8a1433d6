"""``yongdon``: run the family server, the demo, and operator tasks (setup token, migrate, backup)."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from .db import Database

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
    from .market.refresher import attach_refresher

    app = create_app(settings)
    attach_refresher(app)  # prices move: the replay clock (offline default) or live refreshes
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_config=None)


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
    app = None if args.no_app else _open_demo_app(args, settings.data_dir, url)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        _serve(settings)
    finally:
        if app is not None:
            _stop(app)


def _stop(process: Any) -> None:
    """Ask a child process to end; one that does not within a few seconds is killed."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _open_demo_app(args: argparse.Namespace, data_dir: Path, url: str) -> Any:
    """The app, signed in as the demo child, in its own process (server/ never imports client/)."""
    import subprocess

    argv = [sys.executable, "-m", "client", "--server", url, "--data-dir", str(data_dir / "app")]
    argv += ["--demo", str(data_dir / "demo-credentials.json")]
    if args.app_port is not None:
        argv += ["--port", str(args.app_port)]
    if args.no_browser:
        argv.append("--no-browser")
    return subprocess.Popen(argv)  # noqa: S603 (our own interpreter and module, no shell)


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


def cmd_market(args: argparse.Namespace) -> None:
    from .db import Database, utcnow
    from .db.migrate import upgrade
    from .market import admin

    settings = _settings(args)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        if args.action == "symbols" and args.yahoo:
            _yahoo_search(settings, args.yahoo)
        elif args.action == "symbols":
            for symbol, market, name, offline in admin.symbol_rows(args.history):
                print(f"{symbol:<10} {market:<7} {offline:<24} {name}")
        elif args.action == "status":
            print("\n".join(admin.market_status_lines(db, settings.data_dir, utcnow())))
        elif args.action == "use":
            start = date.fromisoformat(args.start) if args.start else None
            config = admin.choose_mode(db, utcnow(), args.mode, start, args.speed)
            print(f"market mode: {config.mode}; replay at {config.replay.date_at(utcnow()).isoformat()}")
        else:
            _backfill(db, settings, args)
    except ValueError as error:
        sys.exit(f"yongdon market: {error}")
    finally:
        db.dispose()


def _yahoo_search(settings: Settings, query: str) -> None:
    from .db import utcnow
    from .market.providers.base import ProviderError
    from .market.providers.yahoo import YahooProvider

    try:
        found = YahooProvider(settings.data_dir / "yfinance").search(query, utcnow())
    except ProviderError as error:
        sys.exit(f"yongdon market: Yahoo did not answer ({error})")
    for row in found:
        print(f"{row['symbol']:<12} {row['exchange']:<8} {row['type']:<10} {row['name']}")


def _yahoo_pause() -> None:
    time.sleep(1.0)  # about 60 chart requests a minute: what yfinance's maintainers say Yahoo tolerates


def _backfill(db: Database, settings: Settings, args: argparse.Namespace) -> None:
    from rich.progress import Progress  # litestar's own dependency

    from .db import utcnow
    from .market import admin
    from .market.providers import build_chain

    now = utcnow()
    chain = build_chain(db, settings.data_dir, now)
    symbols = args.symbols or admin.default_backfill_symbols(db)
    with Progress(transient=False) as progress:
        task = progress.add_task(f"backfill {args.range} via {chain.name}", total=len(symbols))
        written = admin.backfill(
            db, chain, symbols, args.range, now, lambda symbol, n: progress.advance(task), pause=_yahoo_pause
        )
    empty = [s for s, n in written.items() if n == 0]
    print(f"stored {sum(written.values())} daily bars for {len(written) - len(empty)} symbols")
    if empty:
        print("no bars for: " + ", ".join(empty))


def cmd_app(args: argparse.Namespace) -> None:
    import subprocess

    # server/ never imports client/ (tests/sync/test_purity.py): the app runs as its own process
    argv = [sys.executable, "-m", "client"]
    for flag, value in (("--server", args.server), ("--data-dir", args.data_dir), ("--port", args.port)):
        if value is not None:
            argv += [flag, str(value)]
    if args.no_browser:
        argv.append("--no-browser")
    sys.exit(subprocess.call(argv))  # noqa: S603 (our own interpreter and module, no shell)


def _common(parser: argparse.ArgumentParser, *, serve: bool = False) -> None:
    parser.add_argument("--data-dir", help="data directory (default ./data or $YONGDON_DATA_DIR)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    if serve:
        parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (default 8787)")


def _market_parser(commands: Any) -> None:
    from .market.history import RANGES

    market = commands.add_parser("market", help="market data: backfill bars, status, symbols, mode")
    actions = market.add_subparsers(dest="action", required=True)
    backfill = actions.add_parser("backfill", help="store daily bars from the providers (progress bar)")
    backfill.add_argument("symbols", nargs="*", help="symbols (default: bundled history and watched ones)")
    backfill.add_argument("--range", default="max", choices=list(RANGES), help="how far back (default max)")
    status = actions.add_parser("status", help="mode, replay date, provider health, stored bars")
    symbols = actions.add_parser("symbols", help="list symbols and where their prices come from offline")
    symbols.add_argument("--history", action="store_true", help="only those with bundled real history")
    symbols.add_argument(
        "--yahoo", metavar="QUERY", help="search Yahoo (online) for tickers the directory lacks"
    )
    use = actions.add_parser("use", help="choose history replay (offline default) or live prices")
    use.add_argument("mode", choices=["replay", "live"])
    use.add_argument("--start", help="replay from this date (YYYY-MM-DD); restarts the replay clock")
    use.add_argument("--speed", type=float, help="replay days per real day (default 1)")
    for parser in (backfill, status, symbols, use):
        _common(parser)
        parser.set_defaults(run=cmd_market)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yongdon", description="Yongdon (용돈) family server")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="run the family server")
    _common(server, serve=True)
    server.set_defaults(run=cmd_server)
    demo = commands.add_parser("demo", help="run a local server with a demo family")
    demo.add_argument("--data-dir", default="./data/demo", help="demo data directory (default ./data/demo)")
    demo.add_argument("--port", type=int, help="port (default 8787)")
    demo.add_argument("--app-port", type=int, help="the app's web view port (default 8550)")
    demo.add_argument("--no-app", action="store_true", help="only the server, without the app")
    demo.add_argument("--no-browser", action="store_true", help="print the app's link instead of opening it")
    demo.set_defaults(run=cmd_demo)
    app = commands.add_parser("app", help="open the family app (a desktop window, else a browser tab)")
    app.add_argument("--server", help="the family server's URL (pre-filled at first start)")
    app.add_argument("--data-dir", help="where this device keeps its data (default: the user data dir)")
    app.add_argument("--port", type=int, help="web view port on 127.0.0.1 (default 8550)")
    app.add_argument("--no-browser", action="store_true", help="print the link instead of opening it")
    app.set_defaults(run=cmd_app)
    _market_parser(commands)
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
