"""Parent mode's view-models: plain Python over the client core's contract (``Profile``/``LocalView``),
no widgets. Each screen reads the local view (works offline) and changes things through
``Profile.act``; the few online-only calls (family, devices, PIN reset, payment rails) go through
``Profile.api`` and say plainly when there is no connection."""

from .approvals import ApprovalRow, ApprovalsVM
from .base import ParentScreen
from .child_settings import ChildSettingsVM
from .dashboard import ChildCard, DashboardVM
from .family import FamilyVM
from .inbox import ParentInboxVM
from .payouts import PayoutRow, PayoutsVM
from .server import ServerVM

__all__ = [
    "ApprovalRow",
    "ApprovalsVM",
    "ChildCard",
    "ChildSettingsVM",
    "DashboardVM",
    "FamilyVM",
    "ParentInboxVM",
    "ParentScreen",
    "PayoutRow",
    "PayoutsVM",
    "ServerVM",
]
