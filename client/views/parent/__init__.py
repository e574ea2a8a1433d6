"""Parent mode: a separate route group (``/parent…``), shown on a parent's own device, or on a
child's device after the parent's password (``client/views/mode.py``). Screens: the family dashboard,
approvals, payouts, one child's settings, family and devices, the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .approvals import ApprovalsView
from .child import ChildSettingsView
from .dashboard import DashboardView
from .family import FamilyView
from .payouts import PayoutsView
from .server import ServerView

if TYPE_CHECKING:
    from client.app import App

    from ..screen import Screen

__all__ = [
    "ApprovalsView",
    "ChildSettingsView",
    "DashboardView",
    "FamilyView",
    "PayoutsView",
    "ServerView",
    "parent_screen",
]


def parent_screen(app: App, rest: list[str]) -> Screen:
    """The parent screen for ``/parent/<rest…>``; anything unknown is the dashboard."""
    match rest:
        case ["approvals"]:
            return ApprovalsView(app)
        case ["payouts"]:
            return PayoutsView(app)
        case ["devices"]:
            return FamilyView(app)
        case ["server"]:
            return ServerView(app)
        case ["child", child_id]:
            return ChildSettingsView(app, child_id)
        case _:
            return DashboardView(app)
