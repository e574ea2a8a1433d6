"""The hosted service's premium plan, as a section of the parent's server screen: nothing at all on a
family server (the section's plan stays unknown there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.parent.plan import PlanSection

from ..widgets import card, heading, muted, tid

__all__ = ["plan_section"]

Button = Callable[..., ft.Control]


def _run(host: Any, work: Callable[[], Awaitable[Any]]) -> Callable[[Any], Awaitable[None]]:
    async def handler(e: Any = None) -> None:
        host.touch()
        await work()

    return handler


def _subscribe(plan: PlanSection, name: str) -> Callable[[], Awaitable[bool]]:
    async def work() -> bool:
        return await plan.subscribe(name)

    return work


def plan_section(plan: PlanSection, tr: Callable[..., str], host: Any, button: Button) -> list[ft.Control]:
    """The plan's lines and what the parent may do now: start the trial, subscribe (Toss' card page
    opens in the browser), come back and refresh, or cancel at the period's end."""
    if plan.plan is None:
        return []
    rows: list[ft.Control] = [heading(tr("parent.plan.heading"))]
    rows += [tid(f"plan-line-{n}", ft.Text(line, size=18)) for n, line in enumerate(plan.lines())]
    rows.append(muted(tr("parent.plan.about"), size=15))
    days = plan.trial_offer()
    if days:
        rows.append(button(tr("parent.plan.trial", days=days), _run(host, plan.start_trial), "plan-trial"))
    if plan.checkout:
        toss = ft.FilledButton(
            tr("parent.plan.open_toss"),
            icon=ft.Icons.OPEN_IN_NEW,
            url=ft.Url(str(plan.checkout["checkout_url"]), target=ft.UrlTarget.BLANK),  # Toss' own page
            height=MIN_TOUCH,
        )
        rows.append(tid("plan-open-toss", toss, label=tr("parent.plan.open_toss")))
        rows.append(button(tr("parent.plan.refresh"), _run(host, plan.reload), "plan-refresh", primary=False))
    elif plan.can_subscribe():
        for name, label in plan.choices():
            rows.append(button(label, _run(host, _subscribe(plan, name)), f"plan-subscribe-{name}"))
    if plan.can_cancel():
        rows.append(button(tr("parent.plan.cancel"), _run(host, plan.cancel), "plan-cancel", primary=False))
    return [card(*rows, identifier="plan-card")]
