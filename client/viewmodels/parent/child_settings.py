"""One child's settings: house-rules presets and fields (``rules.set/v1``, step-up), game-money
grants with a reason (``family.grant/v1``), missions with a reward (online, step-up) and a PIN reset
(online, step-up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from sync.missions import BOUNDS, Kind, invalid_fields
from sync.rules import PRESETS, FillPolicy, HouseRules, Market, TradeApproval

from ..base import Profile, Tools
from ..missions import MissionRow, mission_rows, missions_of, remember, remembered
from ..notices import bundled_index
from ..trade import parse_amount
from .base import ParentRuntime, ParentScreen

__all__ = ["APPROVAL_FIELD", "FIELDS", "ChildSettingsVM", "RuleField"]


@dataclass(frozen=True)
class RuleField:
    """A house-rules number as the parent types and reads it: money with separators, a fee as a
    percentage ("0.15" %, stored as 15 basis points), hours (stored as seconds)."""

    name: str  # a HouseRules field
    kind: str = "count"  # game | won | bps | pct | count | hours

    @property
    def unit(self) -> str:
        """The catalog key of the unit shown after the number."""
        return "parent.unit." + {"bps": "pct", "count": "times"}.get(self.kind, self.kind)

    def show(self, value: int) -> str:
        if self.kind == "bps":
            return _percent_text(value)
        return f"{value // 3600 if self.kind == 'hours' else value:,}"

    def read(self, text: str) -> int | None:
        """The stored integer for what was typed; ``None`` when it is not a number of this kind."""
        if self.kind == "bps":
            return parse_percent_bps(text)
        n = parse_count(text)
        return None if n is None else n * (3600 if self.kind == "hours" else 1)


FIELDS = (
    RuleField("starting_money", "game"),
    RuleField("fee_bps", "bps"),
    RuleField("sell_tax_bps", "bps"),
    RuleField("fx_spread_bps", "bps"),
    RuleField("max_position_pct", "pct"),
    RuleField("trades_per_day"),
    RuleField("min_order", "game"),
    RuleField("conversion_den", "game"),  # "for every this much game money…"
    RuleField("conversion_num", "won"),  # "…this much pocket money"
    RuleField("min_request", "game"),
    RuleField("request_cap_week", "won"),
    RuleField("request_cap_month", "won"),
    RuleField("request_cooldown_s", "hours"),
    RuleField("second_parent_threshold", "won"),
    RuleField("cooling_off_s", "hours"),
    # graded trade approval's number: shown beside the mode that uses it (``APPROVAL_FIELD``)
    RuleField("approval_above", "game"),
    RuleField("approval_first"),
)
APPROVAL_FIELD = {TradeApproval.ABOVE.value: "approval_above", TradeApproval.FIRST.value: "approval_first"}
"""The number each trade-approval mode reads (the others read none)."""
Builder = Callable[..., tuple[str, dict[str, Any]]]


def parse_count(text: str) -> int | None:
    """A whole number ≥ 0 as typed ("1,000" too); ``None`` for anything else."""
    digits = text.strip().replace(",", "")
    return int(digits) if digits.isdigit() else None


def parse_percent_bps(text: str) -> int | None:
    """A percentage as typed ("0.15", "0.15%", "1") in basis points (15, 100); ``None`` for anything
    that is not a whole number of 0.01 % steps ≥ 0."""
    cleaned = text.strip().removesuffix("%").strip().replace(",", "")
    if not cleaned or not all(c.isdigit() or c == "." for c in cleaned):
        return None
    try:
        bps = Decimal(cleaned) * 100
    except InvalidOperation:
        return None
    return int(bps) if bps == bps.to_integral_value() else None


def _percent_text(bps: int) -> str:
    """15 → "0.15", 100 → "1", 150 → "1.5": the shortest exact percentage."""
    whole, rest = divmod(bps, 100)
    return f"{whole:,}" if rest == 0 else f"{whole:,}.{rest:02d}".rstrip("0")


def _builders() -> tuple[Builder, Builder]:
    from client.actions import grant, set_rules

    return set_rules, grant


class ChildSettingsVM(ParentScreen):
    def __init__(self, profile: Profile, tools: Tools, runtime: ParentRuntime | None, child_id: str) -> None:
        self.child_id = child_id
        self._set_rules, self._grant = _builders()
        self.draft: dict[str, Any] | None = None  # edited rules, not yet saved
        self.texts: dict[str, str] = {}
        self.field_errors: dict[str, str] = {}
        self.grant_text = ""
        self.grant_reason = ""
        self.pin = ""
        self.mission_kind = Kind.SECTORS.value
        self.mission_target = ""
        self.mission_reward = ""
        self.mission_rows: list[MissionRow] = []
        super().__init__(profile, tools, runtime)

    def refresh(self) -> None:
        super().refresh()
        book = self.view.books.get(self.child_id)
        self.found = book is not None
        self.name = self.child_name(self.child_id)
        self.rules = book.rules() if book is not None else HouseRules()
        if self.draft is None:
            self._load(self.rules)
        tr, fmt = self.tools.tr, self.tools.fmt
        rules = self.edited()
        self.preset = next((n for n, p in PRESETS.items() if rules == p), None)
        self.rate = (
            tr(
                "parent.settings.rate",
                game=fmt.game(1000),
                real=fmt.won(1000 * rules.conversion_num // rules.conversion_den),
            )
            if rules
            else ""
        )
        self.dirty = rules is not None and rules != self.rules
        now = self.tools.clock() + self.view.status.server_offset
        self.mission_rows = mission_rows(
            list(remembered(self.child_id)), book, now, self.tools, bundled_index(), parent=True
        )

    def _load(self, rules: HouseRules) -> None:
        self.draft = msgspec.to_builtins(rules)
        self.texts = {f.name: f.show(getattr(rules, f.name)) for f in FIELDS}
        self.field_errors = {}

    def _values(self) -> tuple[dict[str, Any], set[str]]:
        """The draft with the typed numbers; the names of fields that hold no whole number."""
        assert self.draft is not None
        values, bad = dict(self.draft), set()
        for f in FIELDS:
            n = f.read(self.texts.get(f.name, ""))
            if n is None:
                bad.add(f.name)
            else:
                values[f.name] = n
        return values, bad

    def edited(self) -> HouseRules | None:
        """The draft as rules, or ``None`` while a field holds something that is not a number."""
        values, bad = self._values()
        if bad:
            return None
        try:
            return msgspec.convert(values, HouseRules)
        except msgspec.ValidationError:
            return None

    # -- rules ----------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        self._load(PRESETS[name])
        self.notice = None
        self.refresh()
        self.changed()

    def set_field(self, name: str, text: str) -> None:
        self.texts[name] = text
        self.field_errors.pop(name, None)
        self.refresh()
        self.changed()

    def tidy(self, name: str) -> str:
        """The field as it reads best once the parent leaves it ("1000000" → "1,000,000")."""
        f = next(f for f in FIELDS if f.name == name)
        value = f.read(self.texts.get(name, ""))
        if value is not None:
            self.texts[name] = f.show(value)
        return self.texts.get(name, "")

    def toggle_market(self, market: str, on: bool) -> None:
        assert self.draft is not None
        markets = [m for m in self.draft["markets"] if m != market]
        if on:
            markets.append(market)
        self.draft["markets"] = [m.value for m in Market if m.value in markets]
        self.refresh()
        self.changed()

    def set_fill_policy(self, policy: str) -> None:
        assert self.draft is not None
        self.draft["fill_policy"] = FillPolicy(policy).value
        self.refresh()
        self.changed()

    def set_trade_approval(self, mode: str) -> None:
        """Which of the child's orders wait for a parent (off, every one, above a total, the first N)."""
        assert self.draft is not None
        self.draft["trade_approval"] = TradeApproval(mode).value
        self.refresh()
        self.changed()

    def _switch(self, name: str, on: bool) -> None:
        assert self.draft is not None
        self.draft[name] = bool(on)
        self.refresh()
        self.changed()

    def set_limit_orders(self, on: bool) -> None:
        self._switch("limit_orders", on)

    def set_leaderboard(self, on: bool) -> None:
        """Put the child on the family leaderboard (or take it off); saved with the other rules."""
        self._switch("leaderboard", on)

    def set_journal_required(self, on: bool) -> None:
        """Ask for one sentence on why with every order (the trade journal); saved with the other rules."""
        self._switch("journal_required", on)

    async def save_rules(self) -> bool:
        tr = self.tools.tr
        values, bad = self._values()
        errors = {
            f.name: tr("parent.settings.not_a_percent" if f.kind == "bps" else "parent.settings.not_a_number")
            for f in FIELDS
            if f.name in bad
        }
        try:
            # each field on its own: one typo must not hide another field's range problem
            checked = msgspec.convert(values, HouseRules)
        except msgspec.ValidationError:
            checked = None
        for name in checked.validate() if checked is not None else ():
            errors.setdefault(name, tr("parent.settings.out_of_range"))
        if not values.get("markets"):
            errors["markets"] = tr("parent.settings.need_market")
        self.field_errors = errors
        rules = self.edited()
        if errors or rules is None:
            self.error = tr("parent.settings.fix_fields")
            self.changed()
            return False
        if self.gate(self.save_rules):
            return False
        mutation = self._set_rules(self.child_id, msgspec.to_builtins(rules))
        ok = await self.act(mutation, notice=tr("parent.settings.saved", name=self.name))
        if ok:
            self.draft = None
            self.refresh()
            self.changed()
        return ok

    def discard(self) -> None:
        self._load(self.rules)
        self.refresh()
        self.changed()

    # -- grants ---------------------------------------------------------------------------
    def set_grant(self, amount: str | None = None, reason: str | None = None) -> None:
        if amount is not None:
            self.grant_text = amount
        if reason is not None:
            self.grant_reason = reason

    async def give_grant(self) -> bool:
        tr, fmt = self.tools.tr, self.tools.fmt
        amount = parse_amount(self.grant_text)
        reason = self.grant_reason.strip()
        problem = "grant_amount" if amount is None else ("grant_reason_required" if not reason else None)
        if problem is not None or amount is None:
            self.error = tr(f"parent.settings.{problem}")
            self.changed()
            return False
        ok = await self.act(
            self._grant(self.child_id, amount, reason[:200]),
            notice=tr("parent.settings.granted", name=self.name, amount=fmt.game(amount)),
        )
        if ok:
            self.grant_text, self.grant_reason = "", ""
        return ok

    # -- missions -------------------------------------------------------------------------
    async def load_missions(self) -> None:
        """The child's missions, when online (offline, the last list stays)."""
        try:
            answer = await self.profile.api.missions(self.child_id)
        except Exception:  # noqa: BLE001 - offline or refused: the card keeps what it showed
            return
        remember(self.child_id, missions_of(answer))
        self.refresh()
        self.changed()

    def mission_bounds(self) -> tuple[int, int]:
        return BOUNDS[Kind(self.mission_kind)]

    def set_mission(
        self, kind: str | None = None, target: str | None = None, reward: str | None = None
    ) -> None:
        if kind is not None:
            self.mission_kind = Kind(kind).value
        if target is not None:
            self.mission_target = target
        if reward is not None:
            self.mission_reward = reward
        self.changed()

    async def create_mission(self) -> bool:
        """Give the child a mission (online; the server asks for the password first)."""
        tr = self.tools.tr
        target, reward = parse_count(self.mission_target), parse_amount(self.mission_reward)
        bad = invalid_fields(self.mission_kind, target if target is not None else -1, reward or 0)
        if bad:
            low, high = self.mission_bounds()
            self.error = tr(f"parent.mission.bad_{bad[0]}", low=low, high=high)
            self.changed()
            return False
        assert target is not None and reward is not None
        if self.gate(self.create_mission):
            return False
        kind = self.mission_kind

        async def call() -> bool:
            await self.profile.api.create_mission(self.child_id, kind, target, reward)
            return True

        done = await self.online(call, again=self.create_mission)
        if done:
            self.mission_target, self.mission_reward = "", ""
            self.notice = tr("parent.mission.created", name=self.name)
            await self.load_missions()
        return bool(done)

    async def cancel_mission(self, mission_id: str) -> bool:
        tr = self.tools.tr

        async def again() -> bool:
            return await self.cancel_mission(mission_id)

        if self.gate(again):
            return False

        async def call() -> bool:
            await self.profile.api.cancel_mission(self.child_id, mission_id)
            return True

        codes = {"ALREADY_DECIDED": tr("parent.mission.already_done")}
        done = await self.online(call, again=again, codes=codes)
        if done:
            self.notice = tr("parent.mission.cancelled")
        await self.load_missions()
        return bool(done)

    # -- PIN ------------------------------------------------------------------------------
    def set_pin(self, pin: str) -> None:
        self.pin = pin

    async def reset_pin(self) -> bool:
        tr = self.tools.tr
        pin = self.pin.strip()
        if not (pin.isdigit() and len(pin) in (4, 5, 6)):
            self.error = tr("parent.settings.pin_format")
            self.changed()
            return False

        if self.gate(self.reset_pin):
            return False

        async def call() -> bool:
            await self.profile.api.reset_pin(self.child_id, pin)
            return True

        done = await self.online(call, again=self.reset_pin)
        if done:
            self.pin, self.notice = "", tr("parent.settings.pin_done", name=self.name)
            self.changed()
        return bool(done)
