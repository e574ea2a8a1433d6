"""``GET /metrics`` in Prometheus' text format, for a scraper holding the token or on loopback.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several server processes on one host) the process metrics
are the sums over every process of the host (prometheus-client's multiprocess files), so scraping
any one process is enough; the database figures are the same from every process.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from sync.errors import Code, ProtocolCode

from ..errors import DomainError

__all__ = ["MULTIPROC_ENV", "MetricsController", "metrics_guard"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LOOPBACK = {"127.0.0.1", "::1"}


def metrics_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """``YONGDON_METRICS_TOKEN`` set: its bearer token is required; unset: loopback callers only."""
    token = connection.app.state.settings.metrics_token
    if token:
        scheme, _, presented = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            raise DomainError(ProtocolCode.UNAUTHENTICATED, "the metrics token is required")
        return
    host = connection.client.host if connection.client else ""
    if host not in _LOOPBACK:
        raise DomainError(Code.FORBIDDEN, "metrics are served on loopback only (or set a token)")


def _process_registry() -> Any:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


class MetricsController(Controller):
    path = "/metrics"
    guards = [metrics_guard]
    include_in_schema = False

    @get(sync_to_thread=True)
    def metrics(self, state: State) -> Response[bytes]:
        """Every metric of this host's server processes, then the database figures."""
        body = generate_latest(_process_registry()) + generate_latest(state.figures)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
