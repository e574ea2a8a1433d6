"""Per-route latency, traffic, errors and requests in flight: Litestar's Prometheus middleware,
with the route template as the ``path`` label and the real status of refused requests.

The stock middleware records status 200 for a request that an inner middleware refused by raising
(the bearer check's 401, the rate limit's 429), because no response has started when the exception
passes through it; and such a request gets a duration of 0. Here both come from the exception.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send

__all__ = ["PREFIX", "http_metrics_middleware"]

PREFIX = "yongdon_http"  # yongdon_http_requests_total, _request_duration_seconds, _requests_in_progress, …


class _RouteMetrics(PrometheusMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request[Any, Any, Any](scope, receive)
        labels = {**self._get_default_labels(request), **self._get_extra_labels(request)}
        started = time.perf_counter()
        status = HTTP_500_INTERNAL_SERVER_ERROR

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress = self.requests_in_progress(labels).labels(*labels.values())
        in_progress.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as error:
            status = getattr(error, "status_code", None) or getattr(error, "status", None) or status
            raise
        finally:
            in_progress.dec()
            labels["status_code"] = status
            values = [*labels.values()]
            if status >= HTTP_500_INTERNAL_SERVER_ERROR:
                self.requests_error_count(labels).labels(*values).inc()
            self.request_count(labels).labels(*values).inc()
            self.request_time(labels).labels(*values).observe(time.perf_counter() - started)


_CONFIG = PrometheusConfig(
    app_name="yongdon",
    prefix=PREFIX,
    group_path=True,  # /api/game/portfolio/{user_id}, not one series per child
    exclude=[r"^/metrics$", r"^/ws$", r"^/admin/static/"],  # a socket's "duration" is its whole life
    excluded_http_methods=["OPTIONS"],
    middleware_class=_RouteMetrics,
)


def http_metrics_middleware() -> DefineMiddleware:
    """The outermost middleware of the app (one config per process: the stock middleware keeps its
    metric objects in a class variable, keyed by name)."""
    return _CONFIG.middleware
