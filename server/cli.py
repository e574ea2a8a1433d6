"""``yongdon``: run the family server, the demo, and operator tasks (setup token, migrate, backup)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from .payment.crypto import cipher_from_settings
from .settings import Settings, SettingsError, private_dir

if TYPE_CHECKING:
    from .db import Database

__all__ = ["main", "uvicorn_options", "worker_app"]


def _settings(args: argparse.Namespace) -> Settings:
    data_dir = Path(args.data_dir or os.environ.get("YONGDON_DATA_DIR") or "./data")
    overrides = {k: getattr(args, k, None) for k in ("host", "port", "database_url")}
    return Settings.for_data_dir(data_dir, **overrides)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app: where, and whose ``X-Forwarded-For`` it believes.

    Only the proxies in ``YONGDON_TRUSTED_PROXIES``; with none, the headers are not read at all
    (uvicorn's own default believes any process on 127.0.0.1, which would let a local caller pick
    the address its requests are counted under).
    """
    from .live.messages import MAX_MESSAGE

    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies),  # never $FORWARDED_ALLOW_IPS
        # our request log replaces uvicorn's access log (which would also print query strings)
        "access_log": False,
        "log_config": None,
        # a /ws frame larger than any message the live channel takes is refused from its header (close
        # 1009) before a byte of it is buffered: an unauthenticated socket cannot make the server grow
        "ws_max_size": MAX_MESSAGE,
    }


def _serve(settings: Settings, workers: int = 1) -> None:
    if workers > 1:
        _serve_workers(settings, workers)
        return
    _metrics_dir()
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    uvicorn.run(_served_app(settings), **uvicorn_options(settings))


def _served_app(settings: Settings) -> Any:
    from .app import create_app
    from .logs import LogHandoff
    from .market.refresher import attach_refresher

    app = create_app(settings)
    attach_refresher(app)  # prices move: the replay clock (offline default) or live refreshes
    # the handlers set here (the terminal, the demo's file) write from a thread of their own, not
    # the event loop's: first in, so the startup's lines go that way too, and the last out
    handoff = LogHandoff()
    app.on_startup.insert(0, handoff.start)
    app.on_shutdown.insert(0, handoff.stop)
    return app


def _serve_workers(settings: Settings, workers: int) -> None:
    """``workers`` server processes on one socket (uvicorn's supervisor): what README's "several
    processes on PostgreSQL with Redis" needs on one host, without a proxy in front of them."""
    if settings.database_url.startswith("sqlite"):
        sys.exit("yongdon: --workers needs PostgreSQL (--database-url): SQLite serves one process")
    if not settings.redis_url:
        # each process would count the rate limits alone and reach only its own /ws sockets
        sys.exit("yongdon: --workers needs YONGDON_REDIS_URL, shared by the processes")
    if not os.environ.get("YONGDON_METRICS_DIR"):
        import tempfile

        # one host's processes share their metrics; a new, empty folder for this supervisor
        os.environ["YONGDON_METRICS_DIR"] = tempfile.mkdtemp(prefix="yongdon-metrics-")
    _metrics_dir()
    import uvicorn

    from .accounts.setup import announce_setup_token
    from .db import Database, utcnow
    from .db.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # once, before the processes start: they then find the schema current and the token made
    cipher = cipher_from_settings(settings)
    upgrade(settings.database_url, cipher=cipher)
    if settings.announce_setup_token:
        db = Database(settings.database_url, cipher=cipher)
        try:
            announce_setup_token(db, utcnow())
        finally:
            db.dispose()
    # each process builds its settings as this one did (the secrets are in the data dir or the env)
    os.environ.update(
        YONGDON_DATA_DIR=str(settings.data_dir),
        YONGDON_DATABASE_URL=settings.database_url,
        YONGDON_HOST=settings.host,
        YONGDON_PORT=str(settings.port),
    )
    uvicorn.run("server.cli:worker_app", factory=True, workers=workers, **uvicorn_options(settings))


def worker_app() -> Any:
    """One of ``yongdon server --workers N``'s processes (uvicorn calls this in each)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data_dir = Path(os.environ["YONGDON_DATA_DIR"])
    return _served_app(Settings.for_data_dir(data_dir).with_overrides(announce_setup_token=False))


def cmd_server(args: argparse.Namespace) -> None:
    _serve(_settings(args), args.workers)


def cmd_demo(args: argparse.Namespace) -> None:
    from .db import Database, utcnow
    from .db.migrate import upgrade
    from .demo import DemoError, credentials_path, seed_demo, summary_lines
    from .market.calendar import use_cache_dir

    settings = _settings(args).with_overrides(host="127.0.0.1", announce_setup_token=False)
    private_dir(settings.data_dir)
    log_file = settings.data_dir / "demo.log"
    _log_to_file(log_file)
    use_cache_dir(settings.data_dir / "cache")  # the calendars the history needs are the server's too
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    if not credentials_path(settings.data_dir).exists():
        print("Making the demo family and its six weeks of history (only the first time)…", flush=True)
    try:
        demo = seed_demo(db, settings, utcnow())
        lines = summary_lines(db, demo, utcnow())
    except DemoError as error:
        sys.exit(f"yongdon demo: {error}")
    finally:
        db.dispose()
    url = f"http://{settings.host}:{settings.port}"
    print(f"Yongdon demo: a family server with the demo family on {url}  (API docs: {url}/schema)")
    print("\n".join(lines))
    print(f"  data    {settings.data_dir}")
    print(f"  log     {log_file}  (requests and server messages)")
    app = None if args.no_app else _open_demo_app(args, credentials_path(settings.data_dir), url)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        _serve(settings)
    except SystemExit:
        print(f"The server stopped; its messages are in {log_file}", file=sys.stderr)
        raise
    finally:
        if app is not None:
            _stop(app)


def _log_to_file(path: Path) -> None:
    """The demo's terminal keeps the app's link and the sign-in details in view: the request log,
    server messages and warnings go to ``path`` instead (kept to 5 MB and one older file).

    With the root handler set here, :func:`_serve`'s ``basicConfig`` adds none of its own.
    """
    from logging.handlers import RotatingFileHandler

    handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.captureWarnings(True)


def _stop(process: Any) -> None:
    """Ask a child process to end; one that does not within a few seconds is killed."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


APP_LINK = "Yongdon is open at "  # what the app prints for the person who launched it


def _open_demo_app(args: argparse.Namespace, credentials: Path, url: str) -> Any:
    """The app, signed in as the demo child, in its own process (server/ never imports client/).

    Its output goes to the demo's log, except the line with its link, which is shown here. Its stdin
    is a pipe this process holds: however the demo ends, the pipe closes and the app ends with it.
    """
    import subprocess
    import threading

    data_dir = credentials.parent
    argv = [sys.executable, "-m", "client", "--server", url, "--data-dir", str(data_dir / "app")]
    argv += ["--demo", str(credentials)]
    if args.app_port is not None:
        argv += ["--port", str(args.app_port)]
    if args.no_browser:
        argv.append("--no-browser")
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, no shell)
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    log_file = data_dir / "demo.log"
    relay = threading.Thread(
        target=_relay_app_output, args=(process, log_file), name="yongdon-demo-app", daemon=True
    )
    relay.start()
    return process


def _relay_app_output(process: Any, log_file: Path) -> None:
    """The app's link to the terminal, the rest to the log; an app that ends before it gave its
    link (its port taken, say) is told here too, or the demo would wait with no link at all."""
    log = logging.getLogger("yongdon.demo.app")
    linked, last = False, ""
    for line in process.stdout:
        if line.startswith(APP_LINK):
            linked = True
            print(line.rstrip(), flush=True)
        else:
            last = line.strip() or last
            log.info(line.rstrip())
    if not linked and process.wait() != 0:
        print(f"The app could not start: {last}", file=sys.stderr, flush=True)
        print(f"The server keeps running; the app's messages are in {log_file}", file=sys.stderr, flush=True)


def cmd_setup_token(args: argparse.Namespace) -> None:
    from .accounts.setup import new_setup_token
    from .db import Database
    from .db.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
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
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    print("database is at the latest schema")


def cmd_outbox(args: argparse.Namespace) -> None:
    from .admin.audit import CLI, record
    from .db import Database, utcnow
    from .db.migrate import upgrade
    from .notify.dispatcher import outbox_status, requeue_dead

    settings = _settings(args)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    try:
        if args.requeue_dead:
            requeued = requeue_dead(db)
            record(db, CLI, "requeue-dead", utcnow(), target=str(requeued))
            print(f"requeued: {requeued}")
        counts = outbox_status(db)
    finally:
        db.dispose()
    for key, value in counts.items():
        print(f"{key}: {value}")


def cmd_backup(args: argparse.Namespace) -> None:
    from .admin.backups import BackupError, make_backup

    settings = _settings(args)
    try:
        made = make_backup(settings, _utcnow(), Path(args.path))
    except BackupError as error:
        sys.exit(f"yongdon admin backup: {error}")
    _audit(settings, "backup", made.name)
    print(f"backed up to {made} (sha256 in {made.name}.sha256)")


def cmd_restore(args: argparse.Namespace) -> None:
    """Replace the SQLite database with a backup: digest, integrity and schema checked first, then
    migrated to this release. The server must be stopped (its connections would keep old pages)."""
    from .admin.backups import BackupError, check_digest, restore_sqlite
    from .db.migrate import SchemaState, schema_state, upgrade

    settings = _settings(args)
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        sys.exit(
            "restore replaces the SQLite database; for PostgreSQL use pg_restore (README: Backup and restore)"
        )
    backup = Path(args.path)
    if not backup.is_file():
        sys.exit(f"{backup} is not a file")
    if check_digest(backup) is False:  # first: a damaged file must not be read, even to probe it
        sys.exit(f"yongdon admin restore: {backup.name} does not match the digest recorded when it was made")
    from sqlalchemy import create_engine

    probe = create_engine(f"sqlite:///file:{backup}?mode=ro&uri=true")
    try:
        state = schema_state(probe)
    except Exception as error:  # noqa: BLE001 - any unreadable file is refused below, with its reason
        sys.exit(f"yongdon admin restore: {backup.name} is not a readable SQLite database ({error})")
    finally:
        probe.dispose()
    if state in (SchemaState.ONE_AHEAD, SchemaState.AHEAD, SchemaState.EMPTY):
        sys.exit(f"yongdon admin restore: {backup.name} has a schema this release cannot run ({state.value})")
    try:
        restore_sqlite(backup, Path(url.database))
    except BackupError as error:
        sys.exit(f"yongdon admin restore: {error}")
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    _audit(settings, "restore", backup.name)
    print(
        f"restored {backup.name}; devices whose cursors are ahead of it get a fresh copy and send again "
        "what it lacks"
    )


def _audit(settings: Settings, action: str, target: str = "") -> None:
    """An entry in the operator's audit log for a command run on the server's machine."""
    from .admin.audit import CLI, record
    from .db import Database
    from .db.migrate import upgrade

    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    try:
        record(db, CLI, action, _utcnow(), target=target)
    finally:
        db.dispose()


def _utcnow() -> Any:
    from .db import utcnow

    return utcnow()


def _metrics_dir() -> None:
    """``YONGDON_METRICS_DIR`` (several processes on one host): prometheus-client's multiprocess
    directory, named before it is imported. The service manager empties it before the first process
    starts (systemd's RuntimeDirectory=); a process never empties it while others run."""
    folder = os.environ.get("YONGDON_METRICS_DIR")
    if not folder or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    if "prometheus_client" in sys.modules:
        sys.exit("yongdon: YONGDON_METRICS_DIR must be set before the server starts")
    Path(folder).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def cmd_market(args: argparse.Namespace) -> None:
    from .db import Database, utcnow
    from .db.migrate import upgrade
    from .market import admin

    settings = _settings(args)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
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
            _audit(
                settings,
                "market",
                f"{config.mode} from {config.replay.start.isoformat()} x{config.replay.speed:g}",
            )
            print(f"market mode: {config.mode}; replay at {config.replay.date_at(utcnow()).isoformat()}")
        elif args.action == "delist":
            _delist(db, settings, args)
        else:
            _backfill(db, settings, args)
    except ValueError as error:
        sys.exit(f"yongdon market: {error}")
    finally:
        db.dispose()


def _delist(db: Database, settings: Settings, args: argparse.Namespace) -> None:
    """Record a delisting: the children holding the stock are settled at ``--price`` by the server's
    next corporate-actions pass (the day after ``--date``, the last session)."""
    from decimal import Decimal, InvalidOperation

    from sync.market import currency_of
    from sync.money import MICRO

    from .db import utcnow
    from .market.actions import record_delisting

    symbol = args.symbol.upper()
    try:
        price = Decimal(args.price)
    except InvalidOperation as error:
        raise ValueError(f"--price {args.price!r} is not a number") from error
    # won for a Korean stock, dollars (with cents) for a US one: stored as won or micro-dollars
    minor = price * MICRO if currency_of(symbol) == "USD" else price
    if minor != minor.to_integral_value():
        raise ValueError(f"--price {args.price} has more decimals than the currency has")
    action = record_delisting(db, symbol, int(minor), date.fromisoformat(args.date), utcnow())
    _audit(settings, "market", f"delist {symbol} at {args.price} after {args.date}")
    print(f"recorded {action.action_id}: holders are settled at {args.price} from {action.ex_date}")


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
    from .market.pricer import Pricer
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
    if args.symbols:  # named ones are wanted: priced now and kept fresh by the server from now on
        Pricer(db, lambda: chain).ensure(written, now)
        print("watching: " + ", ".join(written))


def cmd_app(args: argparse.Namespace) -> None:
    import subprocess

    # server/ never imports client/ (tests/sync/test_purity.py): the app runs as its own process
    argv = [sys.executable, "-m", "client"]
    for flag, value in (("--server", args.server), ("--data-dir", args.data_dir), ("--port", args.port)):
        if value is not None:
            argv += [flag, str(value)]
    if args.no_browser:
        argv.append("--no-browser")
    if os.name == "posix":
        # the launcher becomes the app (one process, not a resident 52 MB parent); the app itself
        # prints the link once its web view listens, so nothing the launcher did is lost
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter and module, no shell)
    # Windows' execv starts a new process and returns at once: the console would lose the app
    sys.exit(subprocess.call(argv))  # noqa: S603 (our own interpreter and module, no shell)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


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
    backfill.add_argument(
        "symbols", nargs="*", help="symbols, watched from now on (default: bundled history and watched ones)"
    )
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
    delist = actions.add_parser("delist", help="record a delisting: holders are settled at its last price")
    delist.add_argument("symbol", help="the delisted stock (005930.KS, AAPL)")
    delist.add_argument("--price", required=True, help="its last price: won, or dollars for a US stock")
    delist.add_argument("--date", required=True, help="its last session (YYYY-MM-DD)")
    for parser in (backfill, status, symbols, use, delist):
        _common(parser)
        parser.set_defaults(run=cmd_market)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yongdon", description="Yongdon (용돈) family server")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="run the family server")
    _common(server, serve=True)
    server.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes on the one port (default 1; more need PostgreSQL and YONGDON_REDIS_URL)",
    )
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
        ("backup", cmd_backup, "a consistent backup to PATH while running (SQLite; pg_dump for PostgreSQL)"),
        ("restore", cmd_restore, "replace the SQLite database with a backup (stop the server first)"),
        ("outbox", cmd_outbox, "count undelivered events and notification deliveries by status"),
    ]:
        task = admin.add_parser(name, help=text)
        _common(task)
        if name == "backup":
            task.add_argument("path", help="the new backup file")
        if name == "restore":
            task.add_argument("path", help="a backup made by `yongdon admin backup` or the console")
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
