"""Parent mode: a separate route group (``/parent…``), shown on a parent's own device, or on a
child's device after the parent's password (``client/views/mode.py``). Screens: the family dashboard,
approvals, payouts, one child's settings, family and devices, the server, the parent's inbox."""

from __future__ import annotations

from .approvals import ApprovalsView
from .child import ChildSettingsView
from .dashboard import DashboardView
from .family import FamilyView
from .inbox import ParentInboxView
from .payouts import PayoutsView
from .server import ServerView

__all__ = [
    "ApprovalsView",
    "ChildSettingsView",
    "DashboardView",
    "FamilyView",
    "ParentInboxView",
    "PayoutsView",
    "ServerView",
]
