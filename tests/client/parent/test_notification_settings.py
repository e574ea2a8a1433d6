"""The notification settings view-model on the real server: a parent chooses e-mail and push per
event, a child only push and only for what concerns a child, what the server cannot deliver is not
offered, and the choices are the server's (the dispatcher follows them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from client.push import NoPushTokens
from client.viewmodels.notifications import NotificationSettingsVM
from server.db.models import NotificationPref
from tests.client.core.conftest import Server

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio


class PhoneTokens:
    async def token(self) -> str | None:
        return "fcm:phone-token-0001"


def _stored(server: Server, user_id: str) -> dict[str, tuple[bool, bool]]:
    with server.app.state.db.read() as session:
        rows = session.scalars(sa.select(NotificationPref).where(NotificationPref.user_id == user_id))
        return {r.event: (r.email, r.push) for r in rows}


async def test_a_parent_turns_email_on_and_push_off_per_event(paying_family: Family) -> None:
    f = paying_family
    vm = NotificationSettingsVM(f.parent, f.tools, NoPushTokens())
    await vm.load()
    assert vm.loaded and vm.error is None
    assert vm.email_column and vm.email_offered and vm.push_offered  # SMTP and ntfy configured
    paid = vm.row("AllowancePaid")
    assert paid is not None and paid.label == "Pocket money was paid"
    assert (paid.inbox, paid.email, paid.push) == (True, False, True)  # the server's defaults
    weekly = vm.row("WeeklySummary")
    assert weekly is not None and (weekly.inbox, weekly.email, weekly.push) == (False, False, False)
    assert vm.row("SecurityAlert") is not None and vm.row("TradeExecuted") is None
    assert vm.ntfy is not None and vm.ntfy["topic"].startswith("yongdon-")
    assert vm.device_push.startswith("This app (in the browser or on a computer) can't receive push")

    assert await vm.choose("AllowancePaid", "email", True)
    assert await vm.choose("AllowancePaid", "push", False)
    assert await vm.choose("WeeklySummary", "email", True)
    assert vm.notice == "Saved."
    row = vm.row("AllowancePaid")
    assert row is not None and (row.email, row.push) == (True, False)
    weekly = vm.row("WeeklySummary")
    assert weekly is not None and weekly.inbox  # an opt-in event reaches the inbox once chosen
    assert _stored(f.server, f.parent.identity.user_id) == {
        "AllowancePaid": (True, False),
        "WeeklySummary": (True, False),
    }

    again = NotificationSettingsVM(f.parent, f.tools, PhoneTokens())  # the next visit reads them back
    await again.load()
    row = again.row("AllowancePaid")
    assert row is not None and (row.email, row.push) == (True, False)
    assert again.device_push == "This device receives push notifications."


async def test_a_child_gets_push_only_for_what_concerns_a_child(paying_family: Family) -> None:
    f = paying_family
    vm = NotificationSettingsVM(f.kid, tools_for(f.server, "ko"))
    await vm.load()
    assert not vm.email_column and not vm.email_offered  # no e-mail for a child, not even a switch
    events = {r.event for r in vm.rows}
    assert "TradeExecuted" in events and "AllowanceApproved" in events
    assert not events & {"SecurityAlert", "DeviceEnrolled", "AllowanceRequested", "WeeklySummary"}
    assert vm.row("TradeExecuted").label == "주문이 체결됐을 때"  # type: ignore[union-attr]
    assert await vm.choose("TradeExecuted", "email", True) is False  # never sent
    assert await vm.choose("TradeExecuted", "push", False)
    assert _stored(f.server, f.child_id) == {"TradeExecuted": (False, False)}


async def test_without_a_mail_server_or_push_nothing_is_offered_and_offline_says_so(family: Family) -> None:
    f = family
    vm = NotificationSettingsVM(f.parent, f.tools)
    await vm.load()
    assert vm.email_column and not vm.email_offered and not vm.push_offered and vm.ntfy is None
    assert await vm.choose("AllowancePaid", "push", False) is False
    assert _stored(f.server, f.parent.identity.user_id) == {}

    f.parent_net.down = True
    offline = NotificationSettingsVM(f.parent, f.tools)
    await offline.load()
    assert not offline.loaded
    assert offline.error == "Notification settings need the connection. Try again when you're online."
