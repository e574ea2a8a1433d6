"""Inboxes on the real server, with notifications that came through a real pull: the dispatcher
delivers what happened (trades, a request, a parent signing in on a new device), the devices pull,
and the inbox view-models read the synced rows in the server's own shape.

The child's "mark read" once sent ``POST /api/notifications/None/read`` (it read ``n["id"]`` while
synced rows carry ``notification_id``); its old test passed only because its fake said ``"id"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from client.viewmodels.inbox import InboxVM, unread_count
from client.viewmodels.parent import ParentInboxVM
from server.db.models import Notification
from tests.client.core.conftest import BASE_URL, make_runtime
from tests.helpers import PASSWORD

from .conftest import Family

pytestmark = pytest.mark.anyio


def _read_on_server(f: Family, notification_id: str) -> bool:
    with f.server.app.state.db.read() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row.read_at is not None


async def test_the_child_marks_a_synced_notification_read(family: Family) -> None:
    f = family
    assert f.server.dispatch() > 0  # the trades of make_profit, told to 지우
    await f.kid.sync_now()
    vm = InboxVM(f.kid, f.tools)
    vm.attach()
    notes = vm.notification_items
    assert notes and all(n.unread and n.event == "TradeExecuted" for n in notes)
    # the server stored Korean words (the child's language then); the reader's app is in English now,
    # and words the synced facts itself: the stock's name, the side, the shares, the price, the money
    assert f.kid.view().notifications[0]["title"] == "주문이 체결됐어요"
    assert notes[0].title == "Your order went through!"
    english = sorted(n.body for n in notes)
    assert english == [
        "You bought 10 shares of Samsung Electronics at G₩70,000. It cost G₩700,000 in all.",
        "You sold 10 shares of Samsung Electronics at G₩77,000. You got G₩770,000.",
    ]
    f.tools.tr.set_locale("ko")  # switching language rewords the same notifications
    try:
        vm.refresh()
        korean = sorted(n.body for n in vm.notification_items)
        assert korean == [
            "삼성전자 10주를 70,000 G₩에 샀어요. 모두 700,000 G₩이 들었어요.",
            "삼성전자 10주를 77,000 G₩에 팔았어요. 770,000 G₩을 받았어요.",
        ]
        assert not any("005930" in body or "(를)" in body or "(가)" in body for body in korean)
    finally:
        f.tools.tr.set_locale("en")
    first = notes[0].key
    assert f.kid.view().notifications[0]["notification_id"] == first  # the pulled row's own id

    assert await vm.mark_read(first) is True
    assert _read_on_server(f, first)
    assert f.kid_net.requests.count(f"/api/notifications/{first}/read") == 1
    assert "/api/notifications/None/read" not in f.kid_net.requests
    assert [n.unread for n in vm.notification_items] == [False, *[True] * (len(notes) - 1)]  # pulled back


async def test_the_parents_inbox_holds_its_own_notifications_and_the_security_alert(
    family: Family, tmp_path: Path
) -> None:
    f = family
    # the parent signs in on a second computer: every parent hears about the new device
    email = (await f.parent.api.profile(f.parent.identity.user_id))["email"]
    laptop, _, _ = await make_runtime(f.server, tmp_path / "laptop")
    try:
        await laptop.sign_in_parent(BASE_URL, email, PASSWORD, "new laptop")
    finally:
        await laptop.close()
    f.server.dispatch()
    await f.parent.sync_now()
    await f.kid.sync_now()

    vm = ParentInboxVM(f.parent, f.tools, f.runtime)
    vm.attach()
    events = {n.item.event: n for n in vm.notes}
    assert set(events) == {"AllowanceRequested", "DeviceEnrolled", "SecurityAlert"}
    # the child's own notifications come down in the parent's pull too, but they are the child's
    assert any(n["event"] == "TradeExecuted" for n in f.parent.view().notifications)
    alert = events["SecurityAlert"]
    assert alert.alert and alert.route == "/parent/devices" and "new laptop" in alert.item.body
    request = events["AllowanceRequested"]
    assert request.route == "/parent/approvals" and not request.alert
    assert vm.unread == 3 == unread_count(f.parent.view())

    f.server.nets[0].down = True  # offline: reading works, marking read does not
    assert await vm.mark_all_read() is False
    assert vm.error == "Marking read needs the connection. Your notifications stay here."
    assert vm.unread == 3
    f.server.nets[0].down = False
    assert await vm.mark_read(alert.item.key) and _read_on_server(f, alert.item.key)
    assert vm.unread == 2 and vm.error is None
    assert await vm.mark_all_read() and vm.unread == 0
    with f.server.app.state.db.read() as session:
        unread = session.scalars(
            sa.select(Notification.event).where(
                Notification.user_id == f.parent.identity.user_id, Notification.read_at.is_(None)
            )
        )
        assert list(unread) == []
    # the child's inbox is untouched by the parent's reading
    kid_vm = InboxVM(f.kid, f.tools)
    assert all(n.unread for n in kid_vm.notification_items)
