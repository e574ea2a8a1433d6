"""(f) What the figures were measured on: CPU, cores, load, Python, SQLite, PostgreSQL."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy

__all__ = ["describe"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _postgres_version(url: str | None) -> str | None:
    if not url:
        return None
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            return str(connection.execute(sqlalchemy.text("SHOW server_version")).scalar_one())
    except sqlalchemy.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def describe(pg_url: str | None) -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "postgresql": _postgres_version(pg_url),
        "platform": platform.platform(),
    }
