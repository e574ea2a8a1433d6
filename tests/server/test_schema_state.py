"""Rolling upgrades: a database one known step ahead still serves the previous release; further
ahead it does not. The next release is played here by stamping a revision this code does not have
(with its parent recorded, as that release's upgrade records it); tests/ops/test_blue_green.py runs
the real previous release beside this one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.migrate import SchemaAhead, SchemaState, head_revisions, schema_state, upgrade


@pytest.fixture(autouse=True)
def _back_to_head(database_url: str) -> Iterator[None]:
    """The run's PostgreSQL database is shared by later tests: put its stamp back to this code's head."""
    yield
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE alembic_version SET version_num = :r"), {"r": min(head_revisions())}
        )
        connection.execute(sa.text("DELETE FROM server_meta WHERE key LIKE 'schema_parent:0%'"))
    engine.dispose()


def _stamp_next_release(url: str, revision: str, parent: str | None) -> None:
    """What the next release's upgrade leaves: its revision, and (if it records lineage) its parent."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        if parent is not None:
            connection.execute(
                sa.text("INSERT INTO server_meta (key, value) VALUES (:k, :v)"),
                {"k": f"schema_parent:{revision}", "v": parent},
            )
    engine.dispose()


def _state(url: str) -> SchemaState:
    engine = sa.create_engine(url)
    try:
        return schema_state(engine)
    finally:
        engine.dispose()


def test_upgrade_records_each_revisions_parent(database_url: str) -> None:
    upgrade(database_url)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT key, value FROM server_meta")).all())
    engine.dispose()
    (head,) = head_revisions()
    assert f"schema_parent:{head}" in rows
    assert any(value == "" for key, value in rows.items() if key.startswith("schema_parent:"))  # the root


def test_one_known_step_ahead_is_ready_and_upgrade_leaves_it(
    client: TestClient[Any], app: Litestar, database_url: str
) -> None:
    (head,) = head_revisions()
    _stamp_next_release(database_url, "0next0release", head)
    assert _state(database_url) is SchemaState.ONE_AHEAD
    response = client.get("/ready")
    assert response.status_code == 200 and response.json() == {"status": "ready", "schema": "one step ahead"}
    upgrade(database_url)  # a process of this release restarting mid-upgrade still starts
    assert _state(database_url) is SchemaState.ONE_AHEAD


@pytest.mark.parametrize("parent", [None, "0next0release"], ids=["unrecorded", "two-steps"])
def test_further_ahead_is_not_ready_and_refuses_to_start(
    client: TestClient[Any], database_url: str, parent: str | None
) -> None:
    _stamp_next_release(database_url, "0after0next", parent)
    assert _state(database_url) is SchemaState.AHEAD
    response = client.get("/ready")
    assert response.status_code == 503 and response.json()["database"] == "schema ahead"
    with pytest.raises(SchemaAhead):
        upgrade(database_url)


def test_behind_is_not_ready_until_upgraded(
    client: TestClient[Any], app: Litestar, database_url: str
) -> None:
    app.state.migration_heads = frozenset({"0a0newer0head"})  # this process's code is newer than its db
    assert client.get("/ready").json() == {"status": "unavailable", "database": "schema behind"}
