"""``create_app(settings)``: the one place that wires the server together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from .accounts.controllers import ROUTES as accounts_routes
from .accounts.oidc import Oidc, oidc_store
from .accounts.oidc_routes import ROUTES as oidc_routes
from .accounts.setup import announce_setup_token
from .admin import console_routes, console_stores, console_templates
from .allowance.controllers import ROUTES as allowance_routes
from .auth.middleware import AUTH_EXCLUDE, BearerAuthMiddleware
from .cache import make_cache
from .db import Database, utcnow
from .db.migrate import head_revisions, upgrade
from .family.controllers import ROUTES as family_routes
from .game.controllers import ROUTES as game_routes
from .health import ROUTES as health_routes
from .inbound import GuardedRequest, check_parameters
from .live import LiveChannel
from .logs import RequestLogMiddleware, configure_logging
from .market.calendar import market_calendars, use_cache_dir
from .market.controllers import ROUTES as market_routes
from .market.directory import directory
from .market.jobs import MarketJobs
from .missions.completion import MissionJob
from .missions.controllers import ROUTES as mission_routes
from .notify.channels import channels_from_settings
from .notify.controllers import ROUTES as notify_routes
from .notify.dispatcher import Dispatcher
from .observability import MetricsController, http_metrics_middleware, instrument_database, metrics_registry
from .observability.processes import reap_dead_processes
from .openapi import StrictStructSchemaPlugin, answer_options, complete_openapi
from .payment.controllers import ROUTES as payment_routes
from .payment.crypto import cipher_from_settings
from .payment.renewals import Renewals
from .payment.services import Payments, rails_from_settings
from .payment.subscriptions import billing_from_settings
from .privacy.controllers import ROUTES as privacy_routes
from .privacy.erasure import Eraser
from .privacy.retention import Policy, Retention
from .problems import EXCEPTION_HANDLERS
from .ratelimit import MemoryCounters, RateLimiter, RateLimitMiddleware, RedisCounters
from .replication.controllers import ROUTES as replication_routes
from .settings import Settings, private_dir
from .shedding import Gate

__all__ = ["MAX_BODY", "create_app"]

MAX_BODY = 1024 * 1024
Clock = Callable[[], datetime]


async def _before_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """Every HTTP request: the OPTIONS answer, then the hostile-parameter checks (``server.inbound``)."""
    if (answered := answer_options(request)) is not None:
        return answered
    check_parameters(request)
    return None


def create_app(settings: Settings, *, clock: Clock | None = None) -> Litestar:
    """Build the Litestar app on ``settings``: migrate the database, then wire routes and middleware.

    ``clock`` returns the current aware UTC time; tests pass a movable one to test expiry.
    """
    configure_logging()
    logging.getLogger("yongdon").setLevel(settings.log_level.upper())
    if settings.database_url.startswith("sqlite"):
        private_dir(settings.data_dir)
    upgrade(settings.database_url, cipher=cipher_from_settings(settings))
    use_cache_dir(settings.data_dir / "cache")  # exchange calendars, built once per data dir
    db = Database(settings.database_url, cipher=cipher_from_settings(settings))
    now = clock or utcnow
    counters = (
        RedisCounters(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryCounters()
    )
    limiter = RateLimiter(counters, now, enabled=settings.rate_limits)
    cache = make_cache(settings.redis_url, settings.redis_prefix)  # shared by processes through Redis
    if settings.announce_setup_token:
        announce_setup_token(db, now())

    channels = channels_from_settings(settings)
    interval = settings.notify_interval_s
    gate = Gate(settings.max_in_flight)
    dispatcher = (
        Dispatcher(db, now, interval, channels.all(), busy=gate.busy) if settings.notify_dispatcher else None
    )
    live = LiveChannel(db, settings, now)
    billing = billing_from_settings(settings)  # hosted with Toss billing keys only
    renewals = Renewals(db, billing, settings, now) if billing is not None else None
    flows = oidc_store(settings)  # parents' sign-ins through a provider, for a few minutes each
    eraser = Eraser(db, now, settings.erase_interval_s)
    missions = MissionJob(db, now, settings.mission_interval_s)
    retention = Retention(
        db,
        now,
        settings.retention_interval_s,
        Policy(
            retention=timedelta(days=settings.retention_days),
            notice=timedelta(days=settings.retention_notice_days),
            keep_notifications=timedelta(days=settings.notification_keep_days),
        ),
        channels.mailer,
    )

    async def _startup(app: Litestar) -> None:
        reap_dead_processes()  # live gauges a killed process of this host left behind
        app.state.stop_db_metrics = instrument_database(db)
        # the market's passes (opening fills, FX) follow the real time; on a test's clock they are
        # driven by hand, so an order never fills behind a test's back
        if clock is None:
            # built (or read back from the cache dir) before the first request: otherwise the first
            # trade would build them, ~3 s, inside its write transaction
            await anyio.to_thread.run_sync(market_calendars)
            # the symbol directory too: the first requests of a busy start each built it at once
            await anyio.to_thread.run_sync(directory)
            app.state.market_jobs = MarketJobs(db, now, app.state)
            app.state.market_jobs.start()
            if renewals is not None:  # on a test's clock, renewals are driven by hand too
                renewals.start()
        await live.start(app.state)
        if dispatcher is not None:
            dispatcher.start()
        eraser.start()
        retention.start()
        if clock is None:  # on a test's clock, driven by hand (MissionJob.run_once) like the market's
            missions.start()

    async def _shutdown(app: Litestar) -> None:
        if app.state.get("market_jobs") is not None:
            app.state.market_jobs.stop()
        if dispatcher is not None:
            dispatcher.stop()
        eraser.stop()
        retention.stop()
        missions.stop()
        if renewals is not None:
            renewals.stop()
        await live.stop()
        app.state.stop_db_metrics()
        counters.close()
        cache.close()
        db.dispose()

    app = Litestar(
        route_handlers=[
            *accounts_routes,
            *oidc_routes,
            *family_routes,
            *privacy_routes,
            *game_routes,
            *allowance_routes,
            *mission_routes,
            *replication_routes,
            *market_routes,
            *notify_routes,
            *payment_routes,
            *health_routes,
            live.route,
            MetricsController,
            *console_routes(settings),
        ],
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "clock": Provide(lambda: now, sync_to_thread=False),
            "limiter": Provide(lambda: limiter, sync_to_thread=False),
            "read_cache": Provide(lambda: cache, sync_to_thread=False),
        },
        middleware=[
            http_metrics_middleware(),
            # after the metrics (a shed request counts as a 503) and before any work is done for it
            gate.middleware,
            RequestLogMiddleware(),
            # /ws authenticates with its first message: browsers cannot set headers on a WebSocket;
            # /metrics has its own token or loopback check, /admin the operator's session
            DefineMiddleware(
                BearerAuthMiddleware, exclude=[*AUTH_EXCLUDE, r"^/ws$", r"^/metrics$", r"^/admin(/|$)"]
            ),
            RateLimitMiddleware(),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=GuardedRequest,
        before_request=_before_request,
        plugins=[StrictStructSchemaPlugin()],
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=OpenAPIConfig(
            title="Yongdon",
            version="0.1.0",
            path="/schema",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
            security=[{"bearer": []}],
        ),
        request_max_body_size=MAX_BODY,
        template_config=console_templates(),
        stores={**console_stores(settings), "oidc": flows},
        on_startup=[_startup],
        on_shutdown=[_shutdown],
        debug=False,
        logging_config=None,  # handlers are the process's business (the CLI); structlog goes through stdlib
    )
    complete_openapi(app)
    app.state.db = db
    app.state.settings = settings
    app.state.clock = now
    app.state.limiter = limiter
    app.state.cache = cache
    app.state.channels = channels
    app.state.payments = Payments(rails_from_settings(settings), cipher_from_settings(settings))
    app.state.renewals = renewals
    app.state.live = live
    app.state.gate = gate
    app.state.oidc = Oidc(settings, flows)
    app.state.eraser = eraser
    app.state.retention = retention
    app.state.migration_heads = head_revisions()
    app.state.figures = metrics_registry(db, now)
    return app
