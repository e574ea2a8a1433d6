"""The Alembic head creates exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.db import Base
from server.db import models as _models  # noqa: F401  (registers every table)
from server.db.migrate import at_head, head_revisions, upgrade


def _diffs(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_empty_url"))
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert _diffs(empty_url) == []


def test_upgrade_is_idempotent_and_reports_head(empty_url: str) -> None:
    engine = sa.create_engine(empty_url)
    try:
        assert not at_head(engine)
        upgrade(empty_url)
        upgrade(empty_url)
        assert at_head(engine)
        assert len(head_revisions()) == 1  # one linear history
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_concurrent_upgrades_on_postgres_do_not_collide(pg_empty_url: str) -> None:
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(pg_empty_url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _diffs(pg_empty_url) == []
