"""A pass of server work repeated on a daemon thread: the notification dispatcher, the market's
background pass (FX, corporate actions, queued orders at the open) and the price refresher."""

from __future__ import annotations

import threading
import time

from .logs import get_logger

__all__ = ["Periodic"]


class Periodic:
    """Runs :meth:`run_once` every ``interval`` seconds between :meth:`start` and :meth:`stop`.

    A pass that fails is logged and the next one retries: the loop must outlive a bad pass (a
    database restart, a provider's outage). Each pass is one JSON line (``job``: the thread's name),
    at DEBUG when it went well, since the dispatcher passes every second. Tests call :meth:`run_once`
    directly.
    """

    thread_name = "yongdon-background"
    interval: float = 1.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        log = get_logger("yongdon.jobs")
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - see the class docstring
                log.exception("job failed; the next pass retries", job=self.thread_name, ms=_ms(started))
            else:
                log.debug("job", job=self.thread_name, ms=_ms(started))
            if self._stop.wait(self.interval):
                break


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
