"""The proof (issue 13): a family's first month on a fresh server, lived in the real app.

Nothing here is seeded: an operator starts ``yongdon server`` on an empty data dir and sets it up with
the token it printed; a parent registers in the app (the Flet web view in chromium), adds two
children, chooses the first one's house rules and pairs her tablet, which unlocks with her PIN; she
finds 마이크로소프트 (a stock the demo never touches), buys, watches her profit grow while replayed
market days pass, sells, and asks to turn the profit into pocket money; the parent sees the request in
the app's inbox, approves it with the password again and records a cash payout; she reads the news
and sees the request paid; a second parent joins with an invite code and sees the same family. At the
end the server's books balance and every device holds exactly what the server says it may see.

Time is compressed the way an operator can compress it: access tokens live ``TOKEN_TTL_S`` seconds
(``YONGDON_ACCESS_TOKEN_TTL``), so every device lives through several expiries, and the replay clock
runs ``PACE.speed`` replay days per real day, so market days pass while the child waits. Every wait is
on something a person would see, with room for a starved CI renderer; no step reloads a page or
restarts a process. The pictures are kept in ``tests/artifacts/journey/``.

The child's rules are 입문 (practice fills: at the latest price whenever she orders) with both
markets: under the default rules an order waits for the real exchange's next opening, which a
replay running thousands of times faster than the wall clock would meet at an arbitrary replayed day.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.helpers import PASSWORD
from tests.support.logs import plant

from .family import App, Processes, Server, clean_env, wait_for, yongdon
from .market_window import Pace, worst_wait
from .replicas import differences, refreshes_by_device
from .screens import Screen, sid, won

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "journey"

TOKEN_TTL_S = 30  # the server's shortest access-token lifetime (YONGDON_ACCESS_TOKEN_TTL)
SYMBOL, SEARCH = "MSFT", "마이크로소프트"
# One replay day every 15 s: a buy somewhere between 30 s and 6 min into the replay (however slow the
# renderer is) sees 20,000 G₩ of profit on 900,000 G₩ within 7 replay days, and a sale in the 75 s
# after still realises 12,000 G₩ (more than the smallest allowance request, 10,000 G₩). Found with
# `python -m tests.e2e.market_window MSFT`: MSFT's rally of late May and June 2009.
PACE = Pace(day_s=15, buy_from_s=30, buy_until_s=360, sell_lag_s=75,
            budget_won=900_000, trigger_won=20_000, keep_won=12_000)  # fmt: skip
REPLAY_START = date(2009, 5, 19)

MOM = {"email": "mom@kim-family.example", "name": "엄마"}
DAD = {"email": "dad@kim-family.example", "name": "아빠", "password": "another long family passphrase"}
OPERATOR = {"email": "operator@home.example", "password": "the operator's own long passphrase"}
KIDS = {"지우": ("2015", "482915"), "하늘": ("2018", "730461")}
plant(DAD["password"], OPERATOR["password"], *(pin for _, pin in KIDS.values()))  # the log canary


@dataclass
class Journey:
    processes: Processes
    server: Server
    browser: Any
    screens: dict[str, Screen] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    child_ids: dict[str, str] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)  # monotonic times of milestones
    operator: Any = None

    def device(self, name: str, tmp: Path) -> Screen:
        """A new device: its own app process and data dir, shown in its own browser context."""
        app = App.start(self.processes, name, self.server.url, tmp / name)
        self.apps[name] = app
        screen = Screen.open(self.browser, name, app.link, SHOTS)
        self.screens[name] = screen
        return screen

    def mark(self, what: str) -> None:
        self.marks[what] = time.monotonic()
        print(f"[journey] {what} at {self.marks[what] - self.marks['start']:.0f} s", flush=True)


def test_a_family_lives_its_first_month_in_the_app(tmp_path: Path, browser: Any) -> None:
    assert worst_wait(SYMBOL, REPLAY_START, PACE) is not None, "the pinned replay window no longer holds"
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    processes = Processes(tmp_path / "logs")
    env = clean_env(YONGDON_ACCESS_TOKEN_TTL=str(TOKEN_TTL_S))  # lands with the client-sessions work
    journey: Journey | None = None
    try:
        server = Server.start(processes, tmp_path / "server", env)
        journey = Journey(processes, server, browser, marks={"start": time.monotonic()})
        operator_sets_up(journey, env)
        parent_registers_and_adds_children(journey, tmp_path)
        child_enrols_her_tablet(journey, tmp_path)
        child_buys_watches_and_sells(journey)
        child_asks_parent_approves_and_pays(journey)
        second_parent_joins(journey, tmp_path)
        everything_agrees(journey)
    except BaseException:
        for screen in journey.screens.values() if journey else []:
            screen.failure_shot()
        for process in processes.started:
            print(f"--- {process.name} (last lines) ---\n{process.output()[-4000:]}")
        raise
    finally:
        for screen in journey.screens.values() if journey else []:
            screen.close()
        if journey is not None and journey.operator is not None:
            journey.operator.http.close()
        processes.stop_all()


# -- 1, 2: the operator ------------------------------------------------------------------------------
class Operator:
    """The operator's own API session (setup answers with its tokens), refreshed as tokens expire."""

    def __init__(self, url: str, tokens: dict[str, Any]) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.tokens = tokens

    def get(self, path: str) -> Any:
        for _ in range(2):
            answer = self.http.get(path, headers={"Authorization": f"Bearer {self.tokens['access_token']}"})
            if answer.status_code != 401:
                assert answer.status_code == 200, answer.text
                return answer.json()
            refreshed = self.http.post(
                "/api/auth/refresh", json={"refresh_token": self.tokens["refresh_token"]}
            )
            assert refreshed.status_code == 200, refreshed.text
            self.tokens = refreshed.json()
        raise AssertionError(f"the operator's session ended: {path}")

    def replay_day(self) -> date | None:
        """The replayed day the running server prices at (``/api/market/status``)."""
        found = (self.get("/api/market/status").get("provider") or {}).get("detail", {}).get("replay_date")
        return date.fromisoformat(found) if found else None


def operator_sets_up(journey: Journey, env: dict[str, str]) -> None:
    """The one-time setup token from the console creates the operator account; then the operator
    starts the history replay, and the running server follows it."""
    server = journey.server
    token = server.setup_token()
    setup = {"token": token, "display_name": "운영자", "client_id": "operator-console", **OPERATOR}
    answer = httpx.post(f"{server.url}/api/admin/setup", json=setup, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["expires_in"] == TOKEN_TTL_S, "the server ignores YONGDON_ACCESS_TOKEN_TTL"
    journey.operator = Operator(server.url, answer.json())
    journey.processes.run(
        "market",
        [*yongdon(), "market", "use", "replay", "--start", REPLAY_START.isoformat(),
         "--speed", f"{PACE.speed:g}", "--data-dir", str(server.data_dir)],
        env,
    )  # fmt: skip
    journey.mark("replay clock started")

    seen: list[date | None] = []

    def following() -> bool:
        seen.append(journey.operator.replay_day())
        return seen[-1] is not None and REPLAY_START <= seen[-1] <= REPLAY_START + timedelta(days=3)

    wait_for(
        lambda: f"the running server replays from {REPLAY_START} (it is at {seen[-1]})", following, 30, 1
    )


# -- 3: the parent's laptop, two children, the first child's rules ----------------------------------
def parent_registers_and_adds_children(journey: Journey, tmp: Path) -> None:
    mom = journey.device("mom-laptop", tmp)
    mom.shot("first-start")
    mom.type_into("이메일", MOM["email"])
    mom.type_into("비밀번호", PASSWORD)
    mom.type_into("이름", MOM["name"])
    mom.tap(mom.id("enroll-register"), mom.id("dash-empty"))
    mom.shot("registered")
    journey.mark("parent registered")

    mom.go_tab("기기", mom.id("add-child"))
    for name, (year, pin) in KIDS.items():
        mom.type_into("별명", name)
        mom.type_into("태어난 해", year)
        mom.type_into("PIN (숫자 4–6자리)", pin)
        mom.tap(mom.id("child-add"), mom.words(f"{name} 추가 완료"))
        member = mom.page.locator(sid("member-", prefix=True)).filter(has_text=name).first
        member.wait_for()
        identifier = str(member.get_attribute("flt-semantics-identifier"))
        journey.child_ids[name] = identifier.removeprefix("member-")
        # the form is empty again for the next child (it kept the one just added, PIN included)
        for label in ("별명", "태어난 해", "PIN (숫자 4–6자리)"):
            expect(mom.box(label).first).to_have_value("")
    mom.shot("children-added")

    # 지우 starts on practice rules, Korean and US markets (see the module doc)
    jiu = journey.child_ids["지우"]
    mom.go_tab("가족", mom.id(f"dash-child-{jiu}"))
    mom.tap(mom.id(f"dash-settings-{jiu}"), mom.id("rules-card"))
    mom.tap(mom.id("preset-beginner"), mom.words("한국 시장만, 언제든 연습 체결"))
    us = mom.id("market-US").get_by_role("switch")
    expect(us).to_have_attribute("aria-checked", "false")
    mom.settle(us)
    us.click()  # once: a second click would switch it off again
    expect(mom.words("직접 정한 규칙")).to_be_visible()  # practice, with both markets
    expect(us).to_have_attribute("aria-checked", "true")
    saved = mom.words("새 규칙은 지금부터 적용돼요")
    assert stepped_up(mom, mom.id("rules-save"), saved), "a rules change needs the parent's password"
    expect(mom.words("직접 정한 규칙")).to_be_visible()  # what was saved: practice, both markets
    mom.shot("rules-saved")
    journey.mark("rules set")


def pairing_code(mom: Screen) -> str:
    """The code the laptop shows, as a screen reader reads it (the QR image's label: the code's own
    text is selectable, and Flutter gives selectable text no accessible value)."""
    qr = mom.page.locator('[aria-label$="의 QR 코드"]').first
    qr.wait_for()
    found = re.fullmatch(
        r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})의 QR 코드", str(qr.get_attribute("aria-label"))
    )
    assert found is not None, qr.get_attribute("aria-label")
    return found.group(1)


def stepped_up(screen: Screen, action: Any, done: Any) -> bool:
    """Tap ``action`` (a change that needs the parent's password again); type the password when the
    screen asks for it. True when it asked."""
    prompt = screen.id("stepup-prompt")
    screen.tap(action, done.or_(prompt))
    if not prompt.is_visible():
        return False
    screen.type_into("내 비밀번호", PASSWORD)
    screen.tap(screen.id("stepup-confirm"), done)
    return True


# -- 3: the child's tablet ---------------------------------------------------------------------------
def child_enrols_her_tablet(journey: Journey, tmp: Path) -> None:
    mom = journey.screens["mom-laptop"]
    jiu = journey.child_ids["지우"]
    mom.go_tab("기기", mom.id(f"pair-{jiu}"))
    mom.tap(mom.id(f"pair-{jiu}"), mom.id("pairing-code"))
    code = pairing_code(mom)
    mom.shot("pairing-code")

    kid = journey.device("jiu-tablet", tmp)
    kid.type_into("연결 코드", code)
    # the tablet is hers now: she opens it with her own PIN
    kid.tap(kid.id("enroll-join"), kid.id("unlock-secret"))
    expect(kid.id("unlock-notice")).to_contain_text("이제 지우의 기기예요")
    kid.shot("unlock")
    kid.type_into("PIN", KIDS["지우"][1])
    kid.tap(kid.id("unlock-open"), kid.id("home-total"))
    kid.shot("home")
    journey.mark("tablet enrolled")


# -- 4: buy, watch, sell -----------------------------------------------------------------------------
def open_stock(kid: Screen) -> None:
    """The child's own way to a stock: the market tab, a search by its Korean name, a tap."""
    kid.go_tab("주식 시장", kid.id("market-search"))
    kid.type_into("주식 찾기", SEARCH)
    kid.tap(kid.id(f"stock-{SYMBOL}"), kid.id("stock-price"))


def child_buys_watches_and_sells(journey: Journey) -> None:
    kid = journey.screens["jiu-tablet"]
    open_stock(kid)
    # a fresh server prices a stock the moment a child looks at it
    expect(kid.id("stock-price")).to_contain_text("US$", timeout=30_000)
    expect(kid.id("fill-preview")).to_contain_text("연습 모드")  # the rules 엄마 chose
    kid.shot("stock")
    kid.tap(kid.id("buy"), kid.id("trade-input"))
    kid.tap(kid.button("금액으로"), kid.box("얼마만큼? (G₩)"))
    kid.type_into("얼마만큼? (G₩)", f"{PACE.budget_won}")
    kid.tap(kid.button("확인하기"), kid.button("주문하기"))
    kid.tap(kid.button("주문하기"), kid.id("trade-status"))
    expect(kid.id("trade-status")).to_contain_text("주문 완료", timeout=60_000)
    journey.mark("bought")
    kid.shot("bought")
    bought_at = journey.marks["bought"] - journey.marks["replay clock started"]
    assert bought_at <= PACE.buy_until_s, f"the buy filled {bought_at:.0f} s into the replay: re-pin PACE"

    # replayed market days pass; she watches "번 돈" on her home screen
    kid.tap(kid.id("trade-done"), kid.id("home-profit"))
    worst = worst_wait(SYMBOL, REPLAY_START, PACE) or 0
    wait_for(
        f"지우's profit reaches {PACE.trigger_won:,} G₩",
        lambda: won(kid.text_of("home-profit")) >= PACE.trigger_won,
        timeout=(worst + 4) * PACE.day_s + 60,
        every=1,
    )
    journey.mark("profit seen")
    kid.shot("profit")

    open_stock(kid)
    held = re.search(r"가진 주식: ([\d.,]+)주", kid.text_of("stock-held"))
    assert held is not None, kid.text_of("stock-held")
    kid.tap(kid.id("sell"), kid.id("trade-input"))
    kid.type_into("몇 주?", held.group(1))
    kid.tap(kid.button("확인하기"), kid.button("주문하기"))
    kid.tap(kid.button("주문하기"), kid.id("trade-status"))
    expect(kid.id("trade-status")).to_contain_text("주문 완료", timeout=60_000)
    journey.mark("sold")
    kid.shot("sold")


# -- 5: pocket money ---------------------------------------------------------------------------------
def child_asks_parent_approves_and_pays(journey: Journey) -> None:
    kid, mom = journey.screens["jiu-tablet"], journey.screens["mom-laptop"]
    kid.tap(kid.id("trade-done"), kid.id("home-profit"))
    kid.go_tab("용돈 바꾸기", kid.id("allowance-amount"))
    convertible = wait_for(
        "the sale's profit is convertible",
        lambda: (n := won(kid.text_of("allowance-convertible"))) >= PACE.keep_won and n,
        timeout=60,
    )
    assert isinstance(convertible, int)
    real = convertible // 10  # the default rate: 10 G₩ → 1원, rounded down
    kid.type_into("바꿀 게임 머니 (G₩)", str(convertible))
    expect(kid.id("allowance-conversion")).to_contain_text(f"{real:,}원")
    request = kid.id("request-", prefix=True)
    kid.tap(kid.button("부모님께 신청하기"), request)
    expect(request).to_contain_text("부모님 확인을 기다려요", timeout=30_000)
    kid.shot("asked")
    journey.mark("asked")

    # the parent's own laptop: the inbox first, then the approval with the password again
    mom.go_tab("알림", mom.words("용돈 요청이 왔습니다"))
    expect(mom.words(f"지우의 {real:,}원 요청이 승인을 기다립니다.")).to_be_visible()
    mom.shot("inbox")
    mom.go_tab("승인", mom.id("approval-pays-", prefix=True))
    expect(mom.id("approval-pays-", prefix=True)).to_have_text(f"승인하면 {real:,}원을 지급해요.")
    mom.shot("approval")
    # the rules' step-up was minutes ago, and a step-up lasts no longer than an access token
    # (30 s here): approving real money asks for the password again
    notice = mom.id("parent-notice")
    assert stepped_up(mom, mom.id("approve-", prefix=True), notice), "approved without the password"
    expect(notice).to_contain_text(f"{real:,}원", timeout=30_000)
    journey.mark("approved")

    mom.go_tab("지급", mom.id("payout-amount-", prefix=True))
    expect(mom.id("payout-amount-", prefix=True)).to_contain_text(f"{real:,}원")
    mom.tap(mom.id("method-", prefix=True).filter(has_text="현금"), mom.id("pay-", prefix=True))
    stepped_up(mom, mom.id("pay-", prefix=True), mom.id("payouts-empty"))
    expect(mom.words(re.compile(f"지우 · {real:,}원 · 현금"))).to_be_visible(timeout=30_000)
    mom.shot("paid")
    journey.mark("paid")

    # the child reads the news and sees the request paid
    kid.go_tab("알림", kid.words("용돈을 받았어요!"))
    expect(kid.words(f"{real:,}원을 받았어요.")).to_be_visible()
    kid.shot("news")
    news = kid.id("inbox-", prefix=True).filter(has_text="용돈을 받았어요!").first
    for _ in range(3):  # a tap marks it read, on the server too (a tap lost to a re-render: again)
        kid.settle(news)
        news.click()
        try:
            wait_for("the news read", lambda: read_on_server(journey, "AllowancePaid"), 15)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("the child's taps on the news never marked it read on the server")
    kid.go_tab("용돈 바꾸기", kid.id("allowance-amount"))
    expect(request).to_contain_text("받았어요", timeout=30_000)
    expect(kid.words(re.compile(f"{real:,}원 \\(현금\\)"))).to_be_visible()
    kid.shot("paid")


def read_on_server(journey: Journey, event: str) -> bool:
    """Whether the server has 지우's ``event`` notifications marked read."""
    from sqlalchemy import select

    from server.db import Database
    from server.db.models import Notification

    db = Database(journey.server.database_url, cipher=journey.server.cipher)
    try:
        with db.read() as s:
            read_at = list(
                s.scalars(
                    select(Notification.read_at).where(
                        Notification.user_id == journey.child_ids["지우"], Notification.event == event
                    )
                )
            )
    finally:
        db.dispose()
    return bool(read_at) and all(at is not None for at in read_at)


# -- 6: the second parent ----------------------------------------------------------------------------
def second_parent_joins(journey: Journey, tmp: Path) -> None:
    mom = journey.screens["mom-laptop"]
    mom.go_tab("기기", mom.id("invite-parent"))
    mom.tap(mom.id("invite-parent"), mom.words("초대 코드"))
    code = pairing_code(mom)

    dad = journey.device("dad-phone", tmp)
    dad.type_into("연결 코드", code)
    dad.type_into("이메일", DAD["email"])
    dad.type_into("비밀번호", DAD["password"])
    dad.type_into("이름", DAD["name"])
    jiu, haneul = journey.child_ids["지우"], journey.child_ids["하늘"]
    dad.tap(dad.id("enroll-join"), dad.id(f"dash-child-{jiu}"))
    expect(dad.id(f"dash-child-{haneul}")).to_be_visible(timeout=30_000)
    mom.go_tab("가족", mom.id(f"dash-value-{jiu}"))
    expect(dad.id(f"dash-value-{jiu}")).to_have_text(mom.text_of(f"dash-value-{jiu}"), timeout=30_000)
    dad.shot("family")
    journey.mark("second parent joined")


# -- 7: everything agrees ----------------------------------------------------------------------------
def everything_agrees(journey: Journey) -> None:
    from server.db import Database
    from tests.support.invariants import check_change_log_replays, check_server

    server = journey.server
    # every device holds exactly what the server says it may see (each pulls on its own)
    profiles = [path for app in journey.apps.values() for path in app.profiles()]
    assert len(profiles) == 3, profiles
    wait_for(
        "every device caught up with the server",
        lambda: not [d for path in profiles for d in differences(server.database_url, path, server.cipher)],
        timeout=90,
        every=2,
    )
    db = Database(server.database_url, cipher=server.cipher)
    try:
        check_server(db)  # every transaction sums to zero; balance == Σ entries; positions; I9, I10
        check_change_log_replays(db)
    finally:
        db.dispose()

    # the tablet and the laptop lived through several access-token expiries, refreshing each time
    refreshed = refreshes_by_device(server.database_url)
    for name in ("mom-laptop", "jiu-tablet"):
        client_ids = [p.stem for p in journey.apps[name].profiles()]
        assert sum(refreshed.get(c, 0) for c in client_ids) >= 3, (name, refreshed)

    # market days passed while the family lived
    day = journey.operator.replay_day()
    assert day is not None and day >= REPLAY_START + timedelta(days=7), day

    # no reload, no restart: every page still shows the document it opened; every process still runs
    for screen in journey.screens.values():
        assert screen.never_reloaded(), f"{screen.name} was reloaded"
    for process in journey.processes.started:
        assert process.alive(), f"{process.name} stopped"

    # and no password or PIN in anything any process printed
    secrets = [PASSWORD, DAD["password"], OPERATOR["password"], *(pin for _, pin in KIDS.values())]
    for process in journey.processes.started:
        printed = process.output()
        assert not [s for s in secrets if s in printed], f"{process.name} printed a secret"
    journey.mark("all checks passed")
