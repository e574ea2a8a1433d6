"""The restore drill (sync.md: "server restored from a backup"), end to end with the real tools.

backup → the family keeps trading → the server is restored on a fresh database from the backup →
every device finds its cursor ahead of the server: it gets a full fresh copy (a reset), sends again
what the server no longer has, and ends equal to the server. Nothing a device had confirmed after
the backup is lost: each such mutation is applied again (or, were it refused now, its refusal would
be an outcome the child reads), exactly once.

SQLite: ``yongdon admin backup`` and ``yongdon admin restore``. PostgreSQL: the README's
``pg_dump -Fc`` / ``pg_restore`` into a fresh database, against the real server.
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from server.cli import main
from server.db.models import Balance, OperatorAction
from sync.records import Role

from ..conftest import PG_ADMIN_URL
from ..support.device import Device
from ..support.invariants import check_converged
from ..support.world import World

SAMSUNG = "005930.KS"
START_CASH = 1_000_000


def buy(device: Device, quote: object, trade_id: str) -> str:
    args = {
        "trade_id": trade_id,
        "side": "buy",
        "symbol": SAMSUNG,
        "quantity": 1_000_000,
        "quote_id": quote.quote_id,  # type: ignore[attr-defined]
        "price": quote.price,  # type: ignore[attr-defined]
    }
    return device.act("trade.place/v1", args)


def _libpq(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _restore_postgres(dump: Path) -> str:
    """A fresh database restored from ``dump`` with pg_restore, as the README says; returns its URL."""
    name = f"yongdon_restored_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "-d", _libpq(url), str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return url


def _drop(url: str) -> None:
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    made = World(tmp_path, database_url)
    yield made
    made.close()


@pytest.mark.parametrize("protocol", [2, 3])  # found by the served cursors recorded / by the marks
def test_devices_ahead_of_a_restored_server_reset_and_lose_nothing(
    world: World, tmp_path: Path, protocol: int
) -> None:
    family = world.family()
    child = world.member(family, Role.CHILD, "Jiu")
    world.member(family, Role.PARENT, "Mom")
    kid, tablet = world.device(child, "kid"), world.device(child, "tablet")
    kid.protocol = tablet.protocol = protocol
    quote = world.quote(SAMSUNG, 70_000)  # in the backup: a trade sent again can still cite it
    first = buy(kid, quote, "before-backup")
    for device in (kid, tablet):
        device.sync()

    dump = tmp_path / ("backup.db" if world.db.is_sqlite else "backup.dump")
    main(
        [
            "admin",
            "backup",
            "--data-dir",
            str(world.settings.data_dir),
            "--database-url",
            world.settings.database_url,
            str(dump),
        ]
    )
    assert dump.with_name(dump.name + ".sha256").exists()

    confirmed = [buy(kid, quote, "after-backup-kid"), buy(tablet, quote, "after-backup-tablet")]
    for device in (kid, tablet, kid):
        device.sync()
    assert not kid.state.pending and not tablet.state.pending  # acknowledged by the server…
    resets = {device.name: device.state.resets for device in (kid, tablet)}

    original = world.settings.database_url
    world.close()
    world.db.dispose()
    if world.db.is_sqlite:  # a fresh server: a new data dir, the backup restored into it
        fresh = tmp_path / "fresh"
        main(["admin", "restore", "--data-dir", str(fresh), str(dump)])
        url = f"sqlite:///{fresh / 'yongdon.db'}"
        world.settings = replace(world.settings, data_dir=fresh, database_url=url)
    else:
        url = _restore_postgres(dump)
        world.settings = replace(world.settings, database_url=url)
    world._tokens.clear()  # …then lost: the sessions made after the backup are gone with it
    world._start()
    try:
        offline = buy(tablet, quote, "recorded-during-restore")
        for device in (kid, tablet, kid, tablet):
            device.sync()
        for device in (kid, tablet):
            # a fresh copy, whether its cursor was past the restored head or (its own re-sent work
            # having moved the head past it) a cursor the restored server never served it
            assert device.state.resets > resets[device.name]
            for mutation in [first, *confirmed, offline]:
                if mutation in device.state.outcomes:
                    assert device.state.outcomes[mutation].status.value == "applied"
        check_converged(world.db, [kid, tablet], {first, *confirmed, offline})
        with world.db.read() as session:
            cash = session.scalar(
                select(Balance.balance).where(Balance.child_id == child.user_id, Balance.account == "cash")
            )
            if world.db.is_sqlite:
                assert session.scalar(select(OperatorAction.action).where(OperatorAction.action == "restore"))
        assert cash == START_CASH - 4 * 70_000  # each trade once: none lost, none doubled
    finally:
        if not world.db.is_sqlite:
            world.close()
            world.db.dispose()
            _drop(url)
            world.settings = replace(world.settings, database_url=original)
            world._start()  # the fixture closes it again


def test_restore_refuses_a_damaged_or_foreign_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    main(["admin", "migrate", "--data-dir", data])
    backup = tmp_path / "good.db"
    main(["admin", "backup", "--data-dir", data, str(backup)])
    raw = bytearray(backup.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte SQLite's own check may not notice
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(raw))
    damaged.with_name("damaged.db.sha256").write_text(backup.with_name("good.db.sha256").read_text())
    with pytest.raises(SystemExit, match="does not match the digest"):
        main(["admin", "restore", "--data-dir", data, str(damaged)])
    stranger = tmp_path / "notes.db"
    stranger.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SystemExit, match="not a readable SQLite database"):
        main(["admin", "restore", "--data-dir", data, str(stranger)])
    main(["admin", "restore", "--data-dir", data, str(backup)])
    assert "restored good.db" in capsys.readouterr().out
