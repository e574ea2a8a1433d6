"""Names and e-mails sealed at rest survive a key rotation (``YONGDON_DATA_KEYS``): a server restarted
with a new current key still opens and finds what the old key sealed, and seals new rows with the
new key; a server that dropped the old key no longer finds what it sealed."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from server.app import create_app
from server.db.sealed import MARK
from server.settings import Settings
from tests.helpers import PASSWORD, Family, bearer


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _names(client: TestClient[Any], email: str) -> list[str]:
    login = {"email": email, "password": PASSWORD, "client_id": f"c-{os.urandom(4).hex()}"}
    answer = client.post("/api/users/login", json=login)
    assert answer.status_code == 200, answer.text
    family = client.get("/api/family", headers=bearer(answer.json()["access_token"])).json()
    return sorted(m["display_name"] for m in family["members"])


def _key_ids(url: str) -> set[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT display_name FROM users")).scalars().all()
    finally:
        engine.dispose()
    assert all(value.startswith(MARK) for value in stored)
    return {base64.b64decode(value[len(MARK) :])[0] for value in stored}


def test_a_key_rotation_keeps_every_name_and_e_mail_readable(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    old, new = _key(), _key()
    first = create_app(make_settings(database_url=database_url, data_keys=f"1:{old}"))
    with TestClient(first) as client:
        before = Family.create(client, ("지우",))
    first.state.db.dispose()
    assert _key_ids(database_url) == {1}

    pepper = first.state.settings.pin_pepper
    rotated = make_settings(database_url=database_url, data_keys=f"2:{new},1:{old}", pin_pepper=pepper)
    second = create_app(rotated)
    with TestClient(second) as client:
        assert _names(client, str(before.parent.email)) == ["엄마", "지우"]  # found by its old-key hash
        after = Family.create(client, ("하늘",))
        assert _names(client, str(after.parent.email)) == ["엄마", "하늘"]
        taken = {"email": before.parent.email, "password": PASSWORD, "display_name": "x", "family_name": "y"}
        assert client.post("/api/users/register", json=taken).status_code == 409  # still taken
    second.state.db.dispose()
    assert _key_ids(database_url) == {1, 2}

    forgotten = make_settings(database_url=database_url, data_keys=f"2:{new}", pin_pepper=pepper)
    third = create_app(forgotten)
    with TestClient(third) as client:
        assert _names(client, str(after.parent.email)) == ["엄마", "하늘"]
        login = {"email": before.parent.email, "password": PASSWORD, "client_id": f"c-{os.urandom(4).hex()}"}
        assert client.post("/api/users/login", json=login).status_code == 401  # sealed under a key it lacks
    third.state.db.dispose()
