"""/metrics with two server processes on one host (prometheus-client's multiprocess mode through
``YONGDON_METRICS_DIR``): scraping either process gives the host's totals, and a process killed
with SIGKILL stops counting in the live gauges once the next one starts."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ..support.live import free_port
from .servers import ServerProcess, shared_secrets

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def scrape(server: ServerProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, labels), read from loopback (no token set: loopback is allowed)."""
    response = httpx.get(f"{server.url}/metrics", timeout=30)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return sum(
        v for (n, ls), v in samples.items() if n == name and all((k, w) in ls for k, w in labels.items())
    )


def test_two_processes_report_the_hosts_totals(fresh_pg: str, tmp_path: Path) -> None:
    env = {
        **shared_secrets(),
        "YONGDON_DATABASE_URL": fresh_pg,
        "YONGDON_METRICS_DIR": str(tmp_path / "metrics"),
    }
    first, second = (ServerProcess(n, free_port(), tmp_path / n, env) for n in ("first", "second"))
    third = ServerProcess("third", free_port(), tmp_path / "third", env)
    try:
        first.start()
        second.start()
        before = scrape(first)

        def load(server: ServerProcess) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for _ in range(40):
                    assert http.get("/health").status_code == 200
                    assert http.get("/api/family").status_code == 401

        threads = [threading.Thread(target=load, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after_first, after_second = scrape(first), scrape(second)

        def grew(name: str, **labels: str) -> float:
            return total(after_first, name, **labels) - total(before, name, **labels)

        assert grew("yongdon_http_requests_total", path="/health", status_code="200") == 80  # both processes
        assert grew("yongdon_http_requests_total", path="/api/family", status_code="401") == 80
        assert grew("yongdon_http_request_duration_seconds_count", path="/api/family") == 80
        assert total(after_second, "yongdon_http_requests_total", path="/health", status_code="200") == total(
            after_first, "yongdon_http_requests_total", path="/health", status_code="200"
        )
        one = total(after_first, "yongdon_db_pool_connections_capacity") / 2
        assert one > 0

        second.kill()  # SIGKILL: no shutdown hook takes its live gauges back
        third.start()  # …so the next process of the host reaps them
        reaped = scrape(third)
        assert total(reaped, "yongdon_db_pool_connections_capacity") == 2 * one
        assert total(reaped, "yongdon_http_requests_total", path="/health", status_code="200") >= total(
            after_first, "yongdon_http_requests_total", path="/health", status_code="200"
        )  # the dead process's counts stay: totals never go down
    finally:
        for server in (first, second, third):
            server.stop()
