"""Payout rails against local fakes of the providers' HTTP APIs (Toss Payments payouts, KakaoPay
single payment; shapes in ``server/payment/rails.py``), failure paths included: a failed payout never
marks the request paid. And the payout account: AES-256-GCM at rest, shown masked."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import BankAccount, Payout
from server.payment.crypto import FieldCipher, SealError, cipher_from_settings, mask_account
from server.settings import Settings
from tests.server.channel_support import FakeApi, Seen, free_port
from tests.server.test_notifications import Home, _setup_trading, _trade, quiet_home

TOSS_KEY = "test_sk_yongdon_toss_0001"
KAKAO_KEY = "DEV_SECRET_yongdon_kakao_0001"
ACCOUNT = {"bank": "088", "number": "110-123-456789", "holder": "김엄마"}


class Toss:
    """Toss Payments' payouts endpoint: Basic auth with the secret key, ``refPayoutId`` echoed."""

    def __init__(self) -> None:
        self.fail_with: tuple[int, dict[str, Any]] | None = None

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{TOSS_KEY}:".encode()).decode()
        if seen.headers.get("Authorization") != expected:
            return 401, {"code": "UNAUTHORIZED_KEY", "message": "인증되지 않은 시크릿 키"}
        if seen.path != "/v2/payouts":
            return 404, {"code": "NOT_FOUND", "message": "no such API"}
        if self.fail_with:
            return self.fail_with
        return 200, {
            "id": f"po_{seen.body['refPayoutId'][:8]}",
            "refPayoutId": seen.body["refPayoutId"],
            "status": "COMPLETED",
        }


class Kakao:
    """KakaoPay's ready/approve pair: ``SECRET_KEY`` auth, a ``tid`` per payment, amounts checked."""

    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refuse_approve = False

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        if seen.headers.get("Authorization") != f"SECRET_KEY {KAKAO_KEY}":
            return 401, {"error_code": -401, "error_message": "invalid secret key"}
        body = seen.body
        if seen.path == "/online/v1/payment/ready":
            tid = f"T{len(self.payments) + 1:019d}"
            self.payments[tid] = body
            return 200, {
                "tid": tid,
                "next_redirect_app_url": f"https://kakao.test/app/{tid}",
                "next_redirect_mobile_url": f"https://kakao.test/m/{tid}",
                "next_redirect_pc_url": f"https://kakao.test/pc/{tid}",
                "created_at": "2026-11-24T10:00:00",
            }
        if seen.path == "/online/v1/payment/approve":
            ready = self.payments.get(body["tid"])
            if ready is None or self.refuse_approve or body["pg_token"] != "pg-ok":
                return 400, {"error_code": -780, "error_message": "approval failure"}
            return 200, {
                "aid": f"A{body['tid'][1:]}",
                "tid": body["tid"],
                "amount": {"total": ready["total_amount"]},
                "approved_at": "2026-11-24T10:01:00",
            }
        return 404, {"error_code": -404, "error_message": "no such API"}


@pytest.fixture
def toss() -> Toss:
    return Toss()


@pytest.fixture
def kakao() -> Kakao:
    return Kakao()


@pytest.fixture
def fakes(toss: Toss, kakao: Kakao) -> Iterator[tuple[FakeApi, FakeApi]]:
    apis = FakeApi(toss), FakeApi(kakao)
    yield apis
    for api in apis:
        api.close()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url: str, fakes: tuple[FakeApi, FakeApi]
) -> Settings:
    toss_api, kakao_api = fakes
    return make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        toss_url=toss_api.url,
        toss_secret_key=TOSS_KEY,
        kakaopay_url=kakao_api.url,
        kakaopay_secret_key=KAKAO_KEY,
    )


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return quiet_home(client, app)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def _approved(home: Home) -> dict[str, Any]:
    client, jiwoo = home.client, home.kid("지우")
    _setup_trading(home)
    _trade(home, jiwoo, "buy", 70_000, 20)
    _trade(home, jiwoo, "sell", 80_000, 10)
    request = _ok(
        client.post("/api/allowance/request", json={"amount_game": 10_000}, headers=jiwoo.headers), 201
    )["request"]
    approve = {"version": request["version"], "amount_real": request["amount_real"]}
    _ok(
        client.put(
            f"/api/allowance/{request['request_id']}/approve",
            json=approve,
            headers=home.ours.elevated(client),
        )
    )
    return dict(request)


def _status(home: Home, request_id: str) -> str:
    history = _ok(
        home.client.get(f"/api/allowance/history/{home.kid('지우').user_id}", headers=home.mom.headers)
    )
    return next(r["status"] for r in history if r["request_id"] == request_id)


def _paid_entries(home: Home) -> list[dict[str, Any]]:
    ledger = _ok(
        home.client.get(f"/api/game/ledger/{home.kid('지우').user_id}?limit=100", headers=home.mom.headers)
    )
    return [e for e in ledger if e["kind"] == "allowance.mark_paid"]


# -- Toss -----------------------------------------------------------------------------------------------
def test_toss_transfers_to_the_registered_account_and_records_its_payout_id(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    shown = _ok(client.put("/api/payment/account", json=ACCOUNT, headers=elevated))
    assert shown["account"] == {"bank": "088", "holder": "김엄마", "number": "********6789"}
    request = _approved(home)
    paid = _ok(
        client.post(
            "/api/payment/transfer",
            json={"request_id": request["request_id"], "rail": "toss"},
            headers=elevated,
        )
    )
    (call,) = fakes[0].seen
    assert call.headers["Idempotency-Key"] == paid["payout"]["payout_id"] == call.body["refPayoutId"]
    assert call.body["destination"] == {
        "bankCode": "088",
        "accountNumber": "110-123-456789",
        "holderName": "김엄마",
    }
    assert call.body["amount"] == {"currency": "KRW", "value": 1_000}
    assert paid["payout"]["status"] == "paid" and paid["payout"]["reference"].startswith("po_")
    assert _status(home, request["request_id"]) == "paid"
    assert {e["reason"] for e in _paid_entries(home)} == {f"toss {paid['payout']['reference']}"}


def test_a_refused_toss_transfer_leaves_the_request_approved_and_can_be_retried(
    home: Home, toss: Toss, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    _ok(client.put("/api/payment/account", json=ACCOUNT, headers=elevated))
    request = _approved(home)
    body = {"request_id": request["request_id"], "rail": "toss"}
    toss.fail_with = (400, {"code": "INVALID_BANK_ACCOUNT", "message": "계좌 정보가 올바르지 않습니다"})
    refused = client.post("/api/payment/transfer", json=body, headers=elevated)
    assert refused.status_code == 502 and refused.json()["code"] == "PROVIDER_FAILED"
    failed = refused.json()["payout"]
    assert failed["status"] == "failed" and "INVALID_BANK_ACCOUNT" in failed["error"]
    assert _status(home, request["request_id"]) == "approved" and _paid_entries(home) == []
    toss.fail_with = None
    paid = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))
    assert paid["payout"]["payout_id"] != failed["payout_id"]  # a new attempt, a new idempotency key
    assert _status(home, request["request_id"]) == "paid" and len(_paid_entries(home)) == 2
    with home.app.state.db.read() as session:
        assert sorted(session.scalars(sa.select(Payout.status))) == ["failed", "paid"]


def test_an_unreachable_provider_or_a_missing_account_pays_nothing(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    from server.app import create_app

    settings = make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        toss_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        toss_secret_key=TOSS_KEY,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        home = quiet_home(client, app)
        request = _approved(home)
        body = {"request_id": request["request_id"], "rail": "toss"}
        elevated = home.ours.elevated(client)
        no_account = client.post("/api/payment/transfer", json=body, headers=elevated)
        assert no_account.status_code == 502 and "no bank account" in no_account.json()["payout"]["error"]
        _ok(client.put("/api/payment/account", json=ACCOUNT, headers=elevated))
        unreachable = client.post("/api/payment/transfer", json=body, headers=elevated)
        assert unreachable.status_code == 502 and "unreachable" in unreachable.json()["payout"]["error"]
        assert _status(home, request["request_id"]) == "approved" and _paid_entries(home) == []


# -- KakaoPay -------------------------------------------------------------------------------------------
def test_kakaopay_link_then_approval_marks_paid_with_the_approval_id(
    home: Home, kakao: Kakao, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    request = _approved(home)
    body = {"request_id": request["request_id"], "rail": "kakaopay"}
    link = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))
    assert link["status"] == "pending" and link["payout"]["link"].startswith("https://kakao.test/m/T")
    ready = fakes[1].seen[0].body
    assert ready["total_amount"] == 1_000 and ready["partner_order_id"] == link["payout"]["payout_id"]
    # KakaoPay returns the browser to the server's own page, signed for this payout
    # (test_payment_return.py); the app has nothing to watch for
    assert ready["approval_url"].startswith(
        f"http://127.0.0.1:8787/payment/kakaopay/{ready['partner_order_id']}/"
    )
    assert ready["approval_url"].endswith("/approved") and ready["fail_url"].endswith("/failed")
    assert _status(home, request["request_id"]) == "approved"  # a link is not money

    wrong = client.post("/api/payment/transfer", json={**body, "pg_token": "pg-bad"}, headers=elevated)
    assert wrong.status_code == 502 and _status(home, request["request_id"]) == "approved"
    # a refused approval ends that link; the parent starts a new one
    assert (
        client.post("/api/payment/transfer", json={**body, "pg_token": "pg-ok"}, headers=elevated).status_code
        == 409
    )
    link = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))
    paid = _ok(client.post("/api/payment/transfer", json={**body, "pg_token": "pg-ok"}, headers=elevated))
    assert paid["payout"]["payout_id"] == link["payout"]["payout_id"] and paid["payout"]["status"] == "paid"
    assert paid["payout"]["reference"].startswith("A") and _status(home, request["request_id"]) == "paid"
    assert len(_paid_entries(home)) == 2


# -- the payout account at rest -----------------------------------------------------------------------------
def test_the_account_number_is_only_ciphertext_and_a_mask_in_the_database(home: Home) -> None:
    client = home.client
    _ok(client.put("/api/payment/account", json=ACCOUNT, headers=home.ours.elevated(client)))
    assert (
        _ok(client.get("/api/payment/account", headers=home.mom.headers))["account"]["number"]
        == "********6789"
    )
    assert _ok(client.get("/api/payment/account", headers=home.dad.headers)) == {
        "account": None
    }  # per parent
    assert client.get("/api/payment/account", headers=home.kid("지우").headers).status_code == 403
    no_step_up = client.put("/api/payment/account", json=ACCOUNT, headers=home.mom.headers)
    assert no_step_up.status_code == 403 and no_step_up.json()["code"] == "STEP_UP_REQUIRED"
    with home.app.state.db.read() as session:
        row = session.scalars(sa.select(BankAccount)).one()
        assert b"123456789" not in row.number_ct and b"110-123-456789" not in row.number_ct
        assert row.number_ct[0] == 0  # key id 0: derived from the pepper (no YONGDON_DATA_KEYS here)
        cipher: FieldCipher = home.app.state.payments.cipher
        assert (
            cipher.open(row.number_ct, table="bank_accounts", column="number_ct", row_id=row.id)
            == ACCOUNT["number"]
        )


def test_ciphertext_moved_to_another_row_does_not_open_and_pays_nothing(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    _ok(client.put("/api/payment/account", json=ACCOUNT, headers=home.ours.elevated(client)))
    dad_account = {"bank": "004", "number": "999-88-7777666", "holder": "박아빠"}
    dad_elevated = _dad_elevated(home)
    _ok(client.put("/api/payment/account", json=dad_account, headers=dad_elevated))
    with home.app.state.db.write() as session:
        mine = session.scalars(sa.select(BankAccount).where(BankAccount.user_id == home.mom.user_id)).one()
        dads = session.scalars(sa.select(BankAccount).where(BankAccount.user_id == home.dad.user_id)).one()
        mine.number_ct = dads.number_ct  # an attacker with database access swaps the numbers
    request = _approved(home)
    refused = client.post(
        "/api/payment/transfer",
        json={"request_id": request["request_id"], "rail": "toss"},
        headers=home.ours.elevated(client),
    )
    assert refused.status_code == 502 and fakes[0].seen == []  # nothing was sent to the provider
    assert _status(home, request["request_id"]) == "approved"


def _dad_elevated(home: Home) -> dict[str, str]:
    from tests.helpers import step_up

    return step_up(home.client, home.dad)


def test_seal_round_trip_binding_and_key_rotation(make_settings: Callable[..., Settings]) -> None:
    old_key, new_key = bytes(range(32)), bytes(range(32, 64))
    encode = base64.b64encode
    old = cipher_from_settings(make_settings(data_keys=f"1:{encode(old_key).decode()}"))
    sealed = old.seal("110-123-456789", table="bank_accounts", column="number_ct", row_id="a")
    assert old.open(sealed, table="bank_accounts", column="number_ct", row_id="a") == "110-123-456789"
    with pytest.raises(SealError):
        old.open(sealed, table="bank_accounts", column="number_ct", row_id="b")
    with pytest.raises(SealError):
        old.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), table="bank_accounts", column="number_ct", row_id="a")
    rotated = cipher_from_settings(
        make_settings(data_keys=f"2:{encode(new_key).decode()},1:{encode(old_key).decode()}")
    )
    assert rotated.open(sealed, table="bank_accounts", column="number_ct", row_id="a") == "110-123-456789"
    assert rotated.seal("x", table="t", column="c", row_id="r")[0] == 2  # new values use the new key
    assert mask_account("110-123-456789") == "********6789"
    with pytest.raises(ValueError, match="32 bytes"):
        cipher_from_settings(make_settings(data_keys=f"1:{encode(b'short').decode()}"))


def test_a_toss_payout_whose_answer_was_lost_is_resent_with_the_same_idempotency_key(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    _ok(client.put("/api/payment/account", json=ACCOUNT, headers=elevated))
    request = _approved(home)
    with home.app.state.db.write() as session:  # what a crash during the provider call leaves behind
        session.add(
            Payout(
                id="lost-answer-1",
                family_id=home.ours.family_id,
                child_id=home.kid("지우").user_id,
                request_id=request["request_id"],
                rail="toss",
                method="toss",
                amount_real=request["amount_real"],
                status="pending",
                created_by=home.mom.user_id,
                created_at=home.app.state.clock(),
            )
        )
    paid = _ok(
        client.post(
            "/api/payment/transfer",
            json={"request_id": request["request_id"], "rail": "toss"},
            headers=elevated,
        )
    )
    assert paid["payout"]["payout_id"] == "lost-answer-1"
    assert [s.headers["Idempotency-Key"] for s in fakes[0].seen] == ["lost-answer-1"]
    assert _status(home, request["request_id"]) == "paid"


def test_a_new_kakaopay_link_supersedes_the_old_one(home: Home, fakes: tuple[FakeApi, FakeApi]) -> None:
    client = home.client
    elevated = home.ours.elevated(client)
    request = _approved(home)
    body = {"request_id": request["request_id"], "rail": "kakaopay"}
    first = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))["payout"]
    second = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))["payout"]
    with home.app.state.db.read() as session:
        old = session.get(Payout, first["payout_id"])
        assert old is not None and old.status == "failed" and old.error == "superseded by a new link"
    paid = _ok(client.post("/api/payment/transfer", json={**body, "pg_token": "pg-ok"}, headers=elevated))
    assert paid["payout"]["payout_id"] == second["payout_id"]
    approve = [s.body for s in fakes[1].seen if s.path.endswith("/approve")]
    assert [a["tid"] for a in approve] == [second["reference"]]


def test_a_crash_after_the_provider_paid_marks_nothing_and_paying_again_completes_it_once(
    home: Home, fakes: tuple[FakeApi, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider paid; the server died before its one decision (the marking and the payout row
    together) committed. Neither half stands: the request is still approved and the payout pending,
    and paying again resends that payout with its id, so the provider answers its first payment."""
    from server.payment import services

    client = home.client
    elevated = home.ours.elevated(client)
    _ok(client.put("/api/payment/account", json=ACCOUNT, headers=elevated))
    request = _approved(home)
    real_view = services.payout_view
    crashes = [RuntimeError("the process died here")]

    def dying_view(row: Payout) -> Any:
        if crashes and row.status == "paid":  # inside the decision's transaction, after the marking
            raise crashes.pop()
        return real_view(row)

    monkeypatch.setattr(services, "payout_view", dying_view)
    body = {"request_id": request["request_id"], "rail": "toss"}
    crashed = client.post("/api/payment/transfer", json=body, headers=elevated)
    assert crashed.status_code == 500 and not crashes
    assert _status(home, request["request_id"]) == "approved" and _paid_entries(home) == []
    with home.app.state.db.read() as session:
        rows = session.execute(
            sa.select(Payout.id, Payout.status).where(Payout.request_id == request["request_id"])
        )
        ((payout_id, status),) = rows
    assert status == "pending"

    paid = _ok(client.post("/api/payment/transfer", json=body, headers=elevated))
    assert paid["payout"]["payout_id"] == payout_id and paid["payout"]["status"] == "paid"
    assert [s.headers["Idempotency-Key"] for s in fakes[0].seen] == [payout_id, payout_id]
    assert _status(home, request["request_id"]) == "paid"
    assert len({e["txn_id"] for e in _paid_entries(home)}) == 1  # marked once (its two legs)
