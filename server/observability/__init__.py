"""Prometheus metrics: the golden signals of every HTTP route, the database's saturation, and the
business figures of the seed (active users, game return, approval rate), served at ``/metrics``.

``http`` extends Litestar's Prometheus middleware, ``database`` watches the pool and the write
lock, ``figures`` reads the queue depths and business figures from the database at scrape time,
``endpoint`` serves them (a token or loopback only) and ``processes`` keeps prometheus-client's
multiprocess directory right when several server processes share a host.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry

from ..db import Database
from .database import instrument_database
from .endpoint import MetricsController
from .figures import FiguresCollector
from .http import http_metrics_middleware

__all__ = ["MetricsController", "http_metrics_middleware", "instrument_database", "metrics_registry"]


def metrics_registry(db: Database, clock: Callable[[], datetime]) -> CollectorRegistry:
    """The database figures of ``db`` in a registry of their own (served after the process metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(db, clock))
    return registry
