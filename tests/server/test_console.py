"""The operator's console over HTTP: sign-in, CSRF on every form, every page, and a family that is
only ever counts. (tests/e2e/test_console_browser.py drives the same pages in chromium.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.accounts.setup import new_setup_token
from tests.helpers import PASSWORD, Family

OPERATOR = "operator@example.org"
PAGES = ["/admin", "/admin/market", "/admin/outbox", "/admin/backups", "/admin/families", "/admin/audit"]


def make_operator(client: TestClient[Any], app: Litestar) -> None:
    token = new_setup_token(app.state.db)
    body = {"token": token, "email": OPERATOR, "password": PASSWORD, "display_name": "운영자"}
    assert client.post("/api/admin/setup", json=body).status_code == 201


def csrf_of(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "every form carries the CSRF token"
    return found.group(1)


def sign_in(client: TestClient[Any], password: str = PASSWORD) -> Any:
    form = client.get("/admin/login")
    data = {"email": OPERATOR, "password": password, "_csrf_token": csrf_of(form.text)}
    return client.post("/admin/login", data=data, follow_redirects=False)


def family_secrets(family: Family) -> list[str]:
    """What a family owns that the operator must never read: names, e-mails, nicknames, ids of people."""
    values = [family.parent.email or "", "우리집", "엄마", family.parent.user_id]
    for name, kid in family.children.items():
        values += [name, kid.user_id]
    return values


@pytest.fixture
def operator(client: TestClient[Any], app: Litestar) -> TestClient[Any]:
    make_operator(client, app)
    assert sign_in(client).status_code == 303
    return client


def test_pages_need_the_operator_and_a_wrong_password_is_refused(
    client: TestClient[Any], app: Litestar
) -> None:
    make_operator(client, app)
    for page in PAGES:
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    refused = sign_in(client, password="not the operator's password")
    assert refused.status_code == 200 and "운영자 계정과 맞지 않아요" in refused.text
    family = Family.create(client)
    parent_form = client.get("/admin/login")
    as_parent = {"email": family.parent.email, "password": PASSWORD, "_csrf_token": csrf_of(parent_form.text)}
    assert client.post("/admin/login", data=as_parent, follow_redirects=False).status_code == 200  # not 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_session_cookie_is_httponly_strict_and_replaced_at_sign_in(
    client: TestClient[Any], app: Litestar
) -> None:
    make_operator(client, app)
    page = client.get("/admin/login")
    before = client.cookies.get("yongdon_admin")
    set_cookies = " ".join(page.headers.get_list("set-cookie")).lower()
    assert "httponly" in set_cookies and "samesite=strict" in set_cookies and "path=/admin" in set_cookies
    data = {"email": OPERATOR, "password": PASSWORD, "_csrf_token": csrf_of(page.text)}
    assert client.post("/admin/login", data=data, follow_redirects=False).status_code == 303
    after = client.cookies.get("yongdon_admin")
    assert before and after and before != after  # a planted session id is worth nothing after sign-in
    stale = TestClient(app, cookies={"yongdon_admin": before})
    assert stale.get("/admin", follow_redirects=False).status_code == 303


def test_every_form_refuses_a_post_without_its_csrf_token(operator: TestClient[Any]) -> None:
    family = Family.create(operator)
    forms = [
        "/admin/logout",
        "/admin/market",
        "/admin/outbox/requeue",
        "/admin/backups",
        "/admin/families/find",
    ]
    forms.append(f"/admin/families/{family.parent.tokens['family_id']}/disable")
    for path in forms:
        response = operator.post(path, data={"mode": "live"}, follow_redirects=False)
        assert response.status_code == 403, path
        assert response.json()["detail"] == "CSRF token verification failed"
    token = csrf_of(operator.get("/admin/market").text)
    tampered = token[:-4] + ("0000" if token[-4:] != "0000" else "1111")
    assert operator.post("/admin/market", data={"mode": "live", "_csrf_token": tampered}).status_code == 403
    assert "replay" in operator.get("/admin/market").text  # nothing changed


def test_each_page_shows_the_server_and_never_a_familys_data(operator: TestClient[Any]) -> None:
    family = Family.create(operator, ("민준", "서연"))
    pages = {page: operator.get(page) for page in PAGES}
    for page, response in pages.items():
        assert response.status_code == 200, page
        for secret in family_secrets(family):
            assert secret not in response.text, (page, secret)
    assert "at head" in pages["/admin"].text and "307e98e9dda9" in pages["/admin"].text
    assert 'id="replay-date"' in pages["/admin/market"].text
    assert re.search(r'id="total-families">1<', pages["/admin/families"].text)
    assert family.parent.tokens["family_id"] in pages["/admin/families"].text  # the opaque id, to act on
    english = operator.get("/admin/families?lang=en")
    assert "Families as counts only" in english.text
    assert "Families as counts only" in operator.get("/admin/families").text  # the choice is remembered


def test_market_switch_and_audit_log(operator: TestClient[Any]) -> None:
    token = csrf_of(operator.get("/admin/market").text)
    data = {"mode": "replay", "start": "2008-09-01", "speed": "2", "_csrf_token": token}
    assert operator.post("/admin/market", data=data, follow_redirects=False).status_code == 303
    page = operator.get("/admin/market").text
    assert "시장 모드를 저장했어요" in page and re.search(r'id="replay-date">2008-09-0[12]<', page)
    bad = {"mode": "replay", "speed": "-3", "_csrf_token": token}
    operator.post("/admin/market", data=bad)
    audit = operator.get("/admin/audit?lang=en").text
    assert "replay from 2008-09-01 x2" in audit and "refused" in audit and "sign-in" in audit


def test_disabling_a_family_signs_it_out_until_enabled(operator: TestClient[Any]) -> None:
    family = Family.create(operator)
    family_id = family.parent.tokens["family_id"]
    kid = family.children["지우"]
    token = csrf_of(operator.get("/admin/families").text)
    row = operator.post(
        f"/admin/families/{family_id}/disable", data={"_csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert row.status_code == 200 and row.text.startswith(f'<tr id="family-{family_id}" class="disabled"')
    assert operator.get("/api/family", headers=family.parent.headers).status_code == 401  # at once
    assert operator.get(f"/api/game/portfolio/{kid.user_id}", headers=kid.headers).status_code == 401
    refreshed = operator.post("/api/auth/refresh", json={"refresh_token": kid.refresh})
    assert refreshed.status_code == 401
    login = {"email": family.parent.email, "password": PASSWORD, "client_id": family.parent.client_id}
    refused = operator.post("/api/users/login", json=login)
    assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_DISABLED"
    pin = operator.post(
        "/api/users/login/pin", json={"client_id": kid.client_id, "pin": kid.pin, "child_id": kid.user_id}
    )
    assert pin.status_code == 403 and pin.json()["code"] == "ACCOUNT_DISABLED"
    wrong = operator.post("/api/users/login", json={**login, "password": "not the password at all"})
    assert wrong.status_code == 401  # a wrong password tells nothing about the family
    operator.post(f"/admin/families/{family_id}/enable", data={"_csrf_token": token})
    again = operator.post("/api/users/login", json=login)
    assert again.status_code == 200
    assert (
        operator.get(
            "/api/family", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
        ).status_code
        == 200
    )
    audit = operator.get("/admin/audit").text
    assert f"disable-family</td><td>{family_id}" in audit and f"enable-family</td><td>{family_id}" in audit


def test_find_a_family_by_a_parents_email_shows_only_its_row(operator: TestClient[Any]) -> None:
    family = Family.create(operator)
    Family.create(operator)
    token = csrf_of(operator.get("/admin/families").text)
    page = operator.post("/admin/families/find", data={"email": family.parent.email, "_csrf_token": token})
    assert family.parent.tokens["family_id"] in page.text and page.text.count('<tr id="family-') == 1
    assert family.parent.email not in page.text
    nobody = operator.post("/admin/families/find", data={"email": "nobody@example.org", "_csrf_token": token})
    assert "그 이메일의 가족이 없어요" in nobody.text
    assert family.parent.email not in operator.get("/admin/audit").text


def test_outbox_requeue_and_backups(operator: TestClient[Any], app: Litestar) -> None:
    from sqlalchemy import update

    from server.db.models import Delivery
    from server.notify.dispatcher import dispatch_once

    Family.create(operator)
    dispatch_once(app.state.db, app.state.clock())
    with app.state.db.write() as session:  # deliveries the dispatcher gave up on, as after 8 failures
        session.execute(update(Delivery).values(status="dead"))
    page = operator.get("/admin/outbox")
    dead = int(re.search(r'id="dead">(\d+)<', page.text).group(1))
    assert dead > 0
    token = csrf_of(page.text)
    fragment = operator.post(
        "/admin/outbox/requeue", data={"_csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert fragment.text.startswith('<section id="outbox">') and f": {dead}</p>" in fragment.text
    assert 'id="dead">0<' in fragment.text
    if not app.state.db.is_sqlite:
        return  # the PostgreSQL backup (pg_dump) is drilled in tests/ops/test_restore_drill.py
    made = operator.post("/admin/backups", data={"_csrf_token": token})
    name = re.search(r"(yongdon-\d{8}-\d{6}\.db)", made.text).group(1)
    download = operator.get(f"/admin/backups/{name}")
    assert download.status_code == 200 and download.content.startswith(b"SQLite format 3")
    assert "attachment" in download.headers["content-disposition"]
    assert operator.get("/admin/backups/..%2Fsecret.key").status_code == 404
    assert operator.get("/admin/backups/secret.key").status_code == 404
