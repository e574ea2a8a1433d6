"""The hosted service's premium plan on the parent's server screen: the plan, the trial's days left,
subscribing (Toss' card page opens in the browser) and cancelling at the period's end.

A family server answers "not found" to the plan's routes: then :attr:`PlanSection.plan` stays
``None`` and the screen shows nothing about plans at all. Premium only opens long price charts; a
child's money, portfolio, requests and payouts are the same whatever the plan says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .base import ParentScreen

__all__ = ["PlanSection"]

_KNOWN = ("none", "past_due", "lapsed", "cancelled")


class PlanSection:
    """The plan's part of a parent screen: acts through the screen (its connection, password prompt,
    notice and error lines), so it reads and fails like the rest of the screen."""

    def __init__(self, screen: ParentScreen) -> None:
        self.screen = screen
        self.plan: dict[str, Any] | None = None
        self.checkout: dict[str, Any] | None = None

    @property
    def tr(self) -> Any:
        return self.screen.tools.tr

    async def load(self) -> None:
        """Quietly: a family server (404), offline or any refusal leaves the section hidden."""
        try:
            self.plan = await self.screen.profile.api.subscription()
        except Exception:
            self.plan = None
        self.screen.changed()

    def _date(self, iso: Any) -> str:
        return self.screen.tools.fmt.day(datetime.fromisoformat(str(iso))) if iso else ""

    def name(self, plan: Any) -> str:
        return str(self.tr(f"parent.plan.{plan}")) if plan in ("monthly", "yearly") else ""

    def lines(self) -> list[str]:
        """What the parent reads: the state, when it ends or renews, and the card (masked by Toss)."""
        plan, tr = self.plan, self.tr
        if plan is None:
            return []
        status = str(plan.get("status"))
        end = self._date(plan.get("period_end"))
        if status == "trial":
            lines = [tr("parent.plan.status.trial", days=plan.get("trial_days_left") or 0)]
        elif status == "active":
            lines = [tr("parent.plan.status.active", plan=self.name(plan.get("plan")), date=end)]
        else:
            lines = [tr(f"parent.plan.status.{status if status in _KNOWN else 'none'}")]
        if plan.get("cancel_at_period_end") and end:
            lines.append(tr("parent.plan.ends", date=end))
        if plan.get("card"):
            lines.append(tr("parent.plan.card", card=plan["card"]))
        return [str(line) for line in lines]

    def choices(self) -> list[tuple[str, str]]:
        """(plan, button label with its price) for each plan the server offers."""
        if self.plan is None:
            return []
        won = self.screen.tools.fmt.won
        return [
            (
                str(p["plan"]),
                str(
                    self.tr(
                        "parent.plan.subscribe", plan=self.name(p["plan"]), price=won(int(p["price_krw"]))
                    )
                ),
            )
            for p in self.plan.get("plans", [])
        ]

    def trial_offer(self) -> int | None:
        """The trial's days while this family may still start it."""
        plan = self.plan or {}
        return int(plan.get("trial_days") or 0) if plan.get("trial_available") else None

    def can_cancel(self) -> bool:
        plan = self.plan or {}
        return plan.get("status") in ("trial", "active", "past_due") and not plan.get("cancel_at_period_end")

    def can_subscribe(self) -> bool:
        plan = self.plan or {}
        return plan.get("status") != "active" or bool(plan.get("cancel_at_period_end"))

    async def start_trial(self) -> bool:
        screen = self.screen
        codes = {"CONFLICT": str(self.tr("parent.plan.trial_used"))}
        answer = await screen.online(lambda: screen.profile.api.start_trial(), codes=codes)
        if answer is None:
            return False
        self.plan, screen.notice = answer, str(self.tr("parent.plan.trial_started"))
        screen.changed()
        return True

    async def subscribe(self, plan: str) -> bool:
        """The password first (a card will be charged); then Toss' card page is ready to open."""
        screen = self.screen

        async def again() -> None:
            await self.subscribe(plan)

        if screen.gate(again):
            return False
        codes = {"UNAVAILABLE": str(self.tr("parent.plan.not_ready"))}
        answer = await screen.online(lambda: screen.profile.api.subscribe(plan), again=again, codes=codes)
        if answer is None:
            return False
        self.checkout, screen.notice = answer, str(self.tr("parent.plan.toss_steps"))
        screen.changed()
        return True

    async def cancel(self) -> bool:
        screen = self.screen

        async def again() -> None:
            await self.cancel()

        if screen.gate(again):
            return False
        answer = await screen.online(lambda: screen.profile.api.cancel_subscription(), again=again)
        if answer is None:
            return False
        self.plan = answer
        screen.notice = str(
            self.tr("parent.plan.cancelled_notice", date=self._date(answer.get("period_end")))
        )
        screen.changed()
        return True

    async def reload(self) -> None:
        """After Toss' page: what the server knows now (the card, the first payment)."""
        self.checkout = None
        await self.load()
