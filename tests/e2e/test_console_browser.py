"""The operator's console in chromium against a real `yongdon server`: sign in, every page, the HTMX
actions in place, Korean and English, a form posted without its CSRF token refused, cookies the
page's script cannot read, and no family's data on any page or in any log line of the server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from server.cli import main
from tests.conftest import chromium_path
from tests.helpers import PASSWORD, Family

from ..ops.servers import ServerProcess, shared_secrets
from ..support.live import free_port

pytestmark = pytest.mark.slow

OPERATOR = "operator@example.org"
PAGES = ["/admin", "/admin/market", "/admin/outbox", "/admin/backups", "/admin/families", "/admin/audit"]


def test_the_console_in_a_real_browser(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium = chromium_path()
    data = tmp_path / "data"
    main(["admin", "setup-token", "--data-dir", str(data)])
    setup_token = capsys.readouterr().out.strip()
    server = ServerProcess("console", free_port(), data, shared_secrets())
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            body = {"token": setup_token, "email": OPERATOR, "password": PASSWORD, "display_name": "운영자"}
            assert http.post("/api/admin/setup", json=body).status_code == 201
            family = Family.create(http, ("몰래아이",), email="secret-parent-4821@example.org")
        family_id = family.parent.tokens["family_id"]
        secrets = [  # the log's request lines carry the caller's opaque user id by design (server.logs)
            "secret-parent-4821@example.org", "몰래아이", "우리집", "엄마", PASSWORD, setup_token,
            family.parent.refresh, family.parent.access,
        ]  # fmt: skip
        people = [family.parent.user_id, family.children["몰래아이"].user_id]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(locale="ko-KR")
            page.goto(f"{server.url}/admin")
            expect(page).to_have_url(f"{server.url}/admin/login")
            page.fill("input[name=email]", OPERATOR)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("#schema")).to_contain_text("at head")
            shown: dict[str, str] = {}
            for path in PAGES:
                page.goto(f"{server.url}{path}")
                shown[path] = page.content()
            assert (
                "과거 시세 재생" in shown["/admin/market"] and "가족은 숫자로만" in shown["/admin/families"]
            )

            page.goto(f"{server.url}/admin/families")
            row = page.locator(f"#family-{family_id}")
            row.get_by_role("button", name="정지").click()  # HTMX: the row is replaced in place
            expect(row).to_have_class("disabled")
            expect(page).to_have_url(f"{server.url}/admin/families")
            login = {"email": family.parent.email, "password": PASSWORD, "client_id": family.parent.client_id}
            refused = httpx.post(f"{server.url}/api/users/login", json=login)
            assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_DISABLED"
            row.get_by_role("button", name="다시 켜기").click()
            expect(row).not_to_have_class("disabled")

            page.goto(f"{server.url}/admin/outbox?lang=en")
            page.get_by_role("button", name="Requeue dead deliveries").click()
            expect(page.locator("#outbox")).to_contain_text("Requeued deliveries: 0")
            page.goto(f"{server.url}/admin/backups")  # English is remembered
            page.get_by_role("button", name="Make a backup now").click()
            expect(page.locator("#backups")).to_contain_text("matches")
            with page.expect_download() as download:
                page.locator("#backups a").first.click()
            assert re.fullmatch(r"yongdon-\d{8}-\d{6}\.db", download.value.suggested_filename)
            page.goto(f"{server.url}/admin/market")
            page.fill("input[name=speed]", "3")
            page.get_by_role("button", name="Switch").click()
            expect(page.locator("p.ok")).to_contain_text("Market mode saved.")

            forged = page.request.post(f"{server.url}/admin/market", form={"mode": "live"})
            assert forged.status == 403  # the session cookie rides along; the CSRF token does not
            cookies = {c["name"]: c for c in page.context.cookies()}
            for name in ("yongdon_admin", "yongdon_admin_csrf"):
                assert cookies[name]["httpOnly"] and cookies[name]["sameSite"] == "Strict"
            assert page.evaluate("document.cookie") == ""
            page.goto(f"{server.url}/admin/audit")
            audit = page.content()
            for action in ("sign-in", "disable-family", "enable-family", "requeue-dead", "backup", "market"):
                assert f">{action}<" in audit, action
            shown["/admin/audit"] = audit
            browser.close()
    finally:
        server.stop()
    for path, html in shown.items():
        for secret in [*secrets, *people]:
            assert secret not in html, (path, secret)
    log = server.log.read_text(encoding="utf-8")
    assert '"route": "/admin/families/{family_id}/{action}"' in log  # the console's requests are logged…
    for secret in secrets:
        assert secret not in log, secret  # …and no family's data, password or token with them
