"""The hosted service's premium plan (issue 18) against a local fake of Toss Payments' billing API
(shapes in ``server/payment/billing.py``): a trial, a card added through Toss' success return,
renewals on the server's clock, a declined card's grace and lapse, cancellation at the period's end,
charges that are never made twice — and a lapse that never touches a child's money. On a family
server none of it exists (404)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from server.admin.services import set_disabled
from server.app import create_app
from server.db.models import Subscription, SubscriptionCharge
from server.db.sealed import MARK
from server.observability.figures import FiguresCollector
from server.payment.renewals import Renewals
from server.payment.subscriptions import billing_from_settings
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, Member, bearer
from tests.server.channel_support import FakeApi, Seen
from tests.server.test_console import make_operator
from tests.server.test_console import sign_in as console_sign_in
from tests.server.test_history import time_machine
from tests.server.test_notifications import Home, quiet_home
from tests.server.test_payment_rails import _approved, _paid_entries, _status
from tests.support.logs import plant

SECRET = "test_sk_yongdon_billing_0001"
CARD = "433012******1234"
MONTHLY, YEARLY = 4_900, 49_000


class TossBilling:
    """Toss' billing API: a card page that hands out ``authKey`` s (the SDK's part), billing keys for
    them, and charges that honour ``Idempotency-Key`` and refuse a reused ``orderId``."""

    def __init__(self) -> None:
        self.auth_keys: dict[str, str] = {}  # authKey → customerKey
        self.billing_keys: dict[str, str] = {}  # billingKey → customerKey
        self.payments: list[dict[str, Any]] = []  # every charge that moved money
        self.answers: dict[str, tuple[int, Any]] = {}  # Idempotency-Key → the first answer
        self.decline: str | None = None  # a card error code, while set
        self.lose_next = False  # charge, then answer 500 (the answer is lost on the way)
        self.lock = threading.Lock()

    def card_page(self, customer_key: str) -> str:
        """What Toss' browser SDK does when the parent enters a card: an authKey for the customer."""
        auth_key = f"bln_auth_{len(self.auth_keys) + 1:04d}_{customer_key[-6:]}"
        self.auth_keys[auth_key] = customer_key
        plant(auth_key)
        return auth_key

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        if seen.headers.get("Authorization") != "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode():
            return 401, {
                "code": "UNAUTHORIZED_KEY",
                "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
            }
        with self.lock:
            if seen.path == "/v1/billing/authorizations/issue":
                return self._issue(seen.body)
            if seen.path.startswith("/v1/billing/"):
                return self._charge(
                    seen.path.rsplit("/", 1)[1], seen.headers.get("Idempotency-Key"), seen.body
                )
        return 404, {"code": "NOT_FOUND", "message": "no such API"}

    def _issue(self, body: dict[str, Any]) -> tuple[int, Any]:
        if self.auth_keys.pop(body["authKey"], None) != body["customerKey"]:
            return 400, {"code": "INVALID_AUTH_KEY", "message": "유효하지 않은 authKey 입니다."}
        billing_key = f"bk_{len(self.billing_keys) + 1:04d}_{body['customerKey'][-8:]}"
        self.billing_keys[billing_key] = body["customerKey"]
        plant(billing_key)
        return 200, {
            "mId": "tosspayments",
            "customerKey": body["customerKey"],
            "authenticatedAt": "2026-12-06T10:00:00+09:00",
            "method": "카드",
            "billingKey": billing_key,
            "card": {
                "issuerCode": "61",
                "acquirerCode": "31",
                "number": CARD,
                "cardType": "신용",
                "ownerType": "개인",
            },
        }

    def _charge(self, billing_key: str, key: str | None, body: dict[str, Any]) -> tuple[int, Any]:
        if key is not None and key in self.answers:
            return self.answers[key]  # Toss answers a repeated Idempotency-Key with its first answer
        if self.billing_keys.get(billing_key) != body["customerKey"]:
            answer: tuple[int, Any] = (404, {"code": "NOT_FOUND_BILLING", "message": "빌링키가 없습니다."})
        elif any(p["orderId"] == body["orderId"] for p in self.payments):
            answer = (400, {"code": "DUPLICATED_ORDER_ID", "message": "이미 승인된 주문번호입니다."})
        elif self.decline:
            answer = (403, {"code": self.decline, "message": "카드사에서 결제를 거절했습니다."})
        else:
            payment = {
                "paymentKey": f"pay_{len(self.payments) + 1:04d}",
                "orderId": body["orderId"],
                "orderName": body["orderName"],
                "status": "DONE",
                "method": "카드",
                "totalAmount": body["amount"],
                "approvedAt": "2026-12-06T10:00:01+09:00",
            }
            self.payments.append(payment)
            answer = (200, payment)
        if key is not None:
            self.answers[key] = answer
        if self.lose_next:
            self.lose_next = False
            return 500, {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "내부 시스템 처리 오류"}
        return answer


@pytest.fixture
def toss() -> Iterator[tuple[TossBilling, FakeApi]]:
    fake = TossBilling()
    api = FakeApi(fake)
    yield fake, api
    api.close()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url: str, toss: tuple[TossBilling, FakeApi]
) -> Settings:
    return make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        hosted=True,
        toss_url=toss[1].url,
        toss_billing_secret_key=SECRET,
        toss_client_key="test_ck_yongdon_0001",
    )


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return quiet_home(client, app)


class Plan:
    """Our family's plan through the parent's routes, the fake card page and the renewal job."""

    def __init__(self, home: Home, toss: TossBilling, clock: MovableClock) -> None:
        self.home, self.toss, self.clock = home, toss, clock
        self.client = home.client
        settings: Settings = home.app.state.settings
        billing = billing_from_settings(settings)
        assert billing is not None
        self.job = Renewals(home.app.state.db, billing, settings, clock)

    def signed_in(self) -> dict[str, str]:
        """The mother's headers now (a moved clock ended her session: she signs in again)."""
        return _sign_in(self.client, self.home.mom).headers

    def view(self) -> dict[str, Any]:
        return _ok(self.client.get("/api/payment/subscription", headers=self.signed_in()))

    def trial(self) -> dict[str, Any]:
        return _ok(self.client.post("/api/payment/subscription/trial", headers=self.signed_in()))

    def add_card(self, plan: str = "monthly") -> str:
        """Choose ``plan`` (stepped up), enter a card in Toss' page and come back: the page's title."""
        elevated = _elevated(self.client, self.home.mom)
        checkout = _ok(self.client.post("/api/payment/subscribe", json={"plan": plan}, headers=elevated))
        assert checkout["client_key"] == "test_ck_yongdon_0001" and checkout["plan"] == plan
        card_page = self.client.get(urlsplit(checkout["checkout_url"]).path, headers={"Accept": "text/html"})
        assert card_page.status_code == 200 and "requestBillingAuth" in card_page.text
        assert checkout["customer_key"] in card_page.text and checkout["success_url"] in card_page.text
        assert (
            "script-src https://js.tosspayments.com/v1/payment 'nonce-"
            in (card_page.headers["content-security-policy"])
        )
        auth_key = self.toss.card_page(checkout["customer_key"])  # the parent entered a card there
        back = urlsplit(checkout["success_url"])
        page = self.client.get(
            back.path,
            params={"customerKey": checkout["customer_key"], "authKey": auth_key},
            headers={"Accept": "text/html"},
        )
        assert page.status_code == 200, page.text
        return page.text

    def run(self, **delta: float) -> dict[str, int]:
        self.clock.advance(**delta)
        return self.job.run_once()

    def to_period_end(self) -> dict[str, int]:
        with self.home.app.state.db.read() as session:
            row = session.get(Subscription, self.home.ours.family_id)
            assert row is not None
            self.clock.now = row.period_end + timedelta(minutes=1)
        return self.job.run_once()


@pytest.fixture
def plan(home: Home, toss: tuple[TossBilling, FakeApi], clock: MovableClock) -> Plan:
    return Plan(home, toss[0], clock)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def _sign_in(client: TestClient[Any], member: Member) -> Member:
    if member.email is None:  # a child signs in on its own device with its PIN
        body = {"client_id": member.client_id, "child_id": member.user_id, "pin": member.pin}
        tokens = _ok(client.post("/api/users/login/pin", json=body))
    else:
        body = {"email": member.email, "password": PASSWORD, "client_id": member.client_id}
        tokens = _ok(client.post("/api/users/login", json=body))
    member.tokens = tokens
    plant(tokens["access_token"], tokens["refresh_token"])
    return member


def _elevated(client: TestClient[Any], parent: Member) -> dict[str, str]:
    _sign_in(client, parent)
    out = _ok(client.post("/api/auth/step-up", json={"password": PASSWORD}, headers=parent.headers))
    return bearer(out["access_token"])


# -- the plan's life --------------------------------------------------------------------------------------
def test_a_trial_then_a_card_is_charged_when_the_trial_ends_and_renews_monthly(
    plan: Plan, toss: tuple[TossBilling, FakeApi]
) -> None:
    fake, api = toss
    before = plan.view()
    assert before["status"] == "none" and before["trial_available"] and not before["premium"]
    assert {p["plan"]: p["price_krw"] for p in before["plans"]} == {"monthly": MONTHLY, "yearly": YEARLY}
    trial = plan.trial()
    assert trial["status"] == "trial" and trial["premium"] and trial["trial_days_left"] == 14
    again = plan.client.post("/api/payment/subscription/trial", headers=plan.signed_in())
    assert again.status_code == 409  # once per family
    page = plan.add_card("monthly")
    assert "카드를 등록했어요" in page and fake.payments == []  # nothing charged during the trial
    assert plan.view()["card"] == CARD
    assert plan.run(days=10) == {} and plan.view()["trial_days_left"] == 4
    assert plan.run(days=4, minutes=1) == {"paid": 1}
    (first,) = fake.payments
    assert first["totalAmount"] == MONTHLY and first["orderName"] == "용돈 프리미엄 (월간)"
    charge_call = next(s for s in api.seen if s.path.startswith("/v1/billing/bk_"))
    assert charge_call.headers["Idempotency-Key"] == first["orderId"]
    paying = plan.view()
    assert paying["status"] == "active" and paying["premium"] and paying["trial_days_left"] is None
    assert plan.run(days=20) == {}  # not due before the month is over
    assert plan.to_period_end() == {"paid": 1}
    assert [p["totalAmount"] for p in fake.payments] == [MONTHLY, MONTHLY]
    assert len({p["orderId"] for p in fake.payments}) == 2


def test_subscribing_without_a_trial_charges_at_once_and_the_key_is_sealed(
    plan: Plan, toss: tuple[TossBilling, FakeApi], database_url: str
) -> None:
    fake, _ = toss
    assert "프리미엄을 시작했어요" in plan.add_card("yearly")
    (payment,) = fake.payments
    assert payment["totalAmount"] == YEARLY
    view = plan.view()
    assert view["status"] == "active" and view["plan"] == "yearly" and not view["trial_available"]
    assert "billing_key" not in view and (view["period_end"] or "")[:4] == str(plan.clock().year + 1)
    # what a stolen database shows: the billing key only sealed
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT billing_key FROM subscriptions")).scalar_one()
    finally:
        engine.dispose()
    assert stored.startswith(MARK) and "bk_" not in stored


def test_a_declined_renewal_keeps_premium_through_the_grace_then_lapses(
    plan: Plan, toss: tuple[TossBilling, FakeApi]
) -> None:
    fake, _ = toss
    plan.add_card("monthly")
    fake.decline = "REJECT_CARD_PAYMENT"
    assert plan.to_period_end() == {"past_due": 1}
    late = plan.view()
    assert late["status"] == "past_due" and late["premium"]  # the grace: nothing taken away yet
    assert plan.run(hours=1) == {}  # the retry waits its day
    assert plan.run(hours=24) == {"past_due": 1}
    for _ in range(6):
        plan.run(hours=24)
    assert plan.view()["status"] == "lapsed" and not plan.view()["premium"]
    with plan.home.app.state.db.read() as session:
        order = SubscriptionCharge.created_at
        tries = session.execute(
            sa.select(SubscriptionCharge.id, SubscriptionCharge.status, SubscriptionCharge.error).order_by(
                order
            )
        ).all()
    assert [status for _, status, _ in tries] == ["paid"] + ["failed"] * 8  # a try a day for 7 days
    assert len({order_id for order_id, _, _ in tries}) == 9 and "REJECT_CARD_PAYMENT" in tries[-1][2]
    assert plan.run(days=30) == {} and len(fake.payments) == 1  # a lapsed plan is never charged
    # a new card brings it back: charged at once, a new period
    fake.decline = None
    assert "프리미엄을 시작했어요" in plan.add_card("monthly")
    assert plan.view()["status"] == "active" and len(fake.payments) == 2


def test_a_declined_renewal_that_goes_through_on_retry_goes_on(
    plan: Plan, toss: tuple[TossBilling, FakeApi]
) -> None:
    fake, _ = toss
    plan.add_card("monthly")
    fake.decline = "INVALID_CARD_EXPIRATION"
    assert plan.to_period_end() == {"past_due": 1}
    fake.decline = None
    assert plan.run(hours=24) == {"paid": 1}
    assert plan.view()["status"] == "active" and len(fake.payments) == 2


def test_cancelling_ends_premium_at_the_period_end_and_charges_nothing_more(
    plan: Plan, toss: tuple[TossBilling, FakeApi]
) -> None:
    fake, _ = toss
    plan.add_card("monthly")
    no_step_up = plan.client.post("/api/payment/subscription/cancel", headers=plan.signed_in())
    assert no_step_up.status_code == 403 and no_step_up.json()["code"] == "STEP_UP_REQUIRED"
    cancelled = _ok(
        plan.client.post("/api/payment/subscription/cancel", headers=_elevated(plan.client, plan.home.mom))
    )
    assert cancelled["cancel_at_period_end"] and cancelled["premium"]  # paid for: it runs to its end
    assert plan.run(days=20) == {} and plan.view()["premium"]
    assert plan.to_period_end() == {"cancelled": 1}
    view = plan.view()
    assert view["status"] == "cancelled" and not view["premium"] and len(fake.payments) == 1


def test_a_family_the_operator_disabled_is_not_charged_and_its_plan_lapses(
    plan: Plan, toss: tuple[TossBilling, FakeApi], clock: MovableClock
) -> None:
    fake, _ = toss
    plan.add_card("monthly")
    assert len(fake.payments) == 1
    set_disabled(plan.home.app.state.db, plan.home.ours.family_id, True, clock.now)
    assert plan.to_period_end() == {"lapsed": 1}
    assert len(fake.payments) == 1  # the family could not use the month it would have paid for


def test_the_renewal_job_run_twice_or_after_a_lost_answer_charges_once(
    plan: Plan, toss: tuple[TossBilling, FakeApi]
) -> None:
    fake, api = toss
    plan.add_card("monthly")
    assert plan.to_period_end() == {"paid": 1}
    assert plan.job.run_once() == {} and len(fake.payments) == 2  # a second pass at once: nothing due
    # the next renewal's answer is lost after Toss charged: the charge stays pending, premium on
    fake.lose_next = True
    assert plan.to_period_end() == {"unknown": 1}
    assert len(fake.payments) == 3 and plan.view()["status"] == "active"
    calls = len(api.seen)
    assert plan.run(minutes=10) == {"paid": 1}  # the same order again: Toss answers the first result
    resent = api.seen[calls:]
    assert [s.body["orderId"] for s in resent] == [fake.payments[-1]["orderId"]]
    assert len(fake.payments) == 3 and plan.job.run_once() == {}
    with plan.home.app.state.db.read() as session:
        statuses = list(session.scalars(sa.select(SubscriptionCharge.status)))
    assert sorted(statuses) == ["paid", "paid", "paid"]


def test_two_passes_at_once_charge_a_period_once(plan: Plan, toss: tuple[TossBilling, FakeApi]) -> None:
    fake, _ = toss
    plan.add_card("monthly")
    with plan.home.app.state.db.read() as session:
        row = session.get(Subscription, plan.home.ours.family_id)
        assert row is not None
        plan.clock.now = row.period_end + timedelta(minutes=1)
    passes = [threading.Thread(target=plan.job.run_once) for _ in range(3)]
    for each in passes:
        each.start()
    for each in passes:
        each.join(30)
    assert len(fake.payments) == 2 and plan.view()["status"] == "active"


# -- what premium is, and what it never touches -----------------------------------------------------------
def test_a_lapse_leaves_the_childs_money_portfolio_requests_and_payouts_alone(plan: Plan) -> None:
    home, client = plan.home, plan.client
    plan.trial()
    request = _approved(home)  # 지우 traded and asked; mom approved
    jiwoo = home.kid("지우")

    def books() -> tuple[Any, ...]:
        mom = plan.signed_in()
        portfolio = _ok(client.get(f"/api/game/portfolio/{jiwoo.user_id}", headers=mom))
        ledger = _ok(client.get(f"/api/game/ledger/{jiwoo.user_id}?limit=100", headers=mom))
        history = _ok(client.get(f"/api/allowance/history/{jiwoo.user_id}", headers=mom))
        return {k: v for k, v in portfolio.items() if k != "as_of"}, ledger, history

    before = books()
    assert plan.run(days=15) == {"lapsed": 1}  # the trial ended without a card
    assert plan.view()["status"] == "lapsed"
    assert books() == before
    # the child still asks, the parent still approves and pays out
    child = _sign_in(client, jiwoo)
    asked = client.post("/api/allowance/request", json={"amount_game": 1_000}, headers=child.headers)
    assert asked.status_code == 201, asked.text
    body = {"request_id": request["request_id"], "method": "cash"}
    _ok(client.post("/api/payment/transfer", json=body, headers=_elevated(client, home.mom)))
    assert _status(home, request["request_id"]) == "paid" and len(_paid_entries(home)) == 2  # both legs


def test_long_charts_are_premium_on_the_hosted_service(
    plan: Plan, app: Litestar, clock: MovableClock
) -> None:
    time_machine(app, clock, date(2012, 1, 3))
    kid = _sign_in(plan.client, plan.home.kid("지우")).headers

    def chart(range_: str) -> Any:
        return _ok(plan.client.get("/api/market/stocks/AAPL/history", params={"range": range_}, headers=kid))

    assert chart("max")["range"] == "1Y" and chart("5Y")["range"] == "1Y"  # not premium: a year
    assert chart("1Y")["range"] == "1Y"
    plan.trial()
    assert chart("max")["range"] == "max" and chart("max")["from"].startswith("1990")


def test_only_a_parent_of_the_family_sees_or_changes_its_plan(plan: Plan) -> None:
    home, client = plan.home, plan.client
    plan.trial()
    child = _sign_in(client, home.kid("지우")).headers
    for method, path in [
        ("GET", "/api/payment/subscription"),
        ("POST", "/api/payment/subscription/trial"),
        ("POST", "/api/payment/subscription/cancel"),
    ]:
        assert client.request(method, path, headers=child).status_code == 403
    refused = client.post("/api/payment/subscribe", json={"plan": "monthly"}, headers=child)
    assert refused.status_code == 403
    no_step_up = client.post("/api/payment/subscribe", json={"plan": "monthly"}, headers=plan.signed_in())
    assert no_step_up.json()["code"] == "STEP_UP_REQUIRED"
    theirs = _sign_in(client, home.theirs.parent).headers
    assert _ok(client.get("/api/payment/subscription", headers=theirs))["status"] == "none"
    # a success address for our family's key, signed wrong, is not found and adds no card
    checkout = _ok(
        client.post("/api/payment/subscribe", json={"plan": "monthly"}, headers=_elevated(client, home.mom))
    )
    forged = urlsplit(checkout["success_url"]).path.rsplit("/", 2)[0] + "/" + "0" * 32 + "/success"
    params = {
        "customerKey": checkout["customer_key"],
        "authKey": plan.toss.card_page(checkout["customer_key"]),
    }
    assert client.get(forged, params=params).status_code == 404
    assert plan.view()["card"] is None


def test_the_operator_sees_premium_conversion_on_metrics(plan: Plan, home: Home) -> None:
    theirs = _sign_in(home.client, home.theirs.parent).headers
    _ok(home.client.post("/api/payment/subscription/trial", headers=theirs))  # never adds a card
    plan.trial()
    plan.add_card("monthly")
    on_trial = _scrape(home)
    assert on_trial['yongdon_subscriptions{status="trial"}'] == 2
    assert on_trial["yongdon_premium_conversion_ratio"] == 0.0
    assert plan.run(days=14, minutes=1) == {"paid": 1, "lapsed": 1}
    figures = _scrape(home)
    assert figures['yongdon_subscriptions{status="active"}'] == 1
    assert figures['yongdon_subscriptions{status="lapsed"}'] == 1
    assert figures['yongdon_subscriptions{status="trial"}'] == 0
    assert figures["yongdon_premium_conversion_ratio"] == 0.5
    # and in the operator console's overview, as counts only
    make_operator(home.client, home.app)
    assert console_sign_in(home.client).status_code == 303
    overview = home.client.get("/admin").text
    assert "전환율 (체험 후 결제)" in overview and "50.0% (1 / 2)" in overview
    assert CARD not in overview and home.ours.family_id not in overview


def _scrape(home: Home) -> dict[str, float]:
    collector = FiguresCollector(home.app.state.db, home.app.state.clock, max_age=0)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


# -- a family server --------------------------------------------------------------------------------------
def test_a_family_server_has_no_subscriptions_at_all(
    make_settings: Callable[..., Settings], database_url: str, clock: MovableClock
) -> None:
    family_server = make_settings(
        database_url=database_url, notify_dispatcher=False, toss_billing_secret_key=SECRET
    )
    app = create_app(family_server, clock=clock)
    assert app.state.renewals is None
    with TestClient(app) as client:
        family = Family.create(client, ("지우",))
        elevated = family.elevated(client)
        for method, path, body in [
            ("GET", "/api/payment/subscription", None),
            ("POST", "/api/payment/subscription/trial", None),
            ("POST", "/api/payment/subscription/cancel", None),
            ("POST", "/api/payment/subscribe", {"plan": "monthly"}),
            ("POST", "/api/payment/subscribe", None),  # "not found" before the body is read
            ("GET", "/payment/toss/billing/yd_x/00/success", None),
            ("GET", "/payment/toss/billing/yd_x/00/checkout", None),
        ]:
            answer = client.request(method, path, json=body, headers=elevated)
            assert answer.status_code == 404, (path, answer.text)
        kid = family.child("지우").headers
        chart = client.get("/api/market/stocks/AAPL/history", params={"range": "5Y"}, headers=kid)
        assert chart.status_code == 200 and chart.json()["range"] == "5Y"  # everything is on
