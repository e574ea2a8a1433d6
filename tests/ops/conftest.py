"""A fresh PostgreSQL database per test, for tests that run whole server processes on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ..conftest import PG_ADMIN_URL, REQUIRE_SERVICES


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    name = f"yongdon_ops_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        (pytest.fail if REQUIRE_SERVICES else pytest.skip)(f"PostgreSQL is unreachable: {error}")
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
