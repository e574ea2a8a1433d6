"""prometheus-client's multiprocess directory, shared by the server processes of one host.

The directory must be named before Python starts (prometheus-client picks its value store at
import) and emptied before the first process of the host starts, never by a process while others
run: that is the service manager's job (systemd's ``RuntimeDirectory=`` gives an empty one each
start). A process that died leaves its ``live*`` gauges behind; each new process removes those of
processes that no longer exist, so in-flight requests and pool use are not counted twice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import multiprocess

from .endpoint import MULTIPROC_ENV

__all__ = ["reap_dead_processes"]

_LIVE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def reap_dead_processes() -> list[int]:
    """Mark every process whose live-gauge files remain but which is gone as dead; returns their ids."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return []
    dead: set[int] = set()
    for path in Path(directory).glob("gauge_live*_*.db"):
        match = _LIVE_FILE.match(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:  # alive, under another user
            continue
    for pid in dead:
        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
    return sorted(dead)
