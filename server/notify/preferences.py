"""Which channels each user wants for each event, with defaults that bother nobody.

The in-app inbox gets every notification (it is the record) except an opt-in one nobody asked for;
e-mail and push are chosen per user and event. Defaults: push on for whatever a user hears (except
the weekly summary); e-mail only for what a parent must act on (a request waiting for approval, an
approval still needed) and for security; the weekly summary is opt-in. SMS is off until a parent
chooses it for an event (it reaches only a verified number: ``notify.phone``). Children never have
e-mail or SMS.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code

from ..db.models import NotificationPref
from ..errors import DomainError
from .texts import EVENTS, recipients_for

__all__ = [
    "CHANNELS",
    "OPT_IN",
    "chooses",
    "defaults",
    "events_for",
    "preferences",
    "set_preferences",
    "wants",
]

CHANNELS = ("email", "push", "sms")
_PARENTS_ONLY = frozenset({"email", "sms"})
_EMAIL_BY_DEFAULT = frozenset(
    {
        "AllowanceRequested",
        "AllowanceApprovalNeeded",
        "TradeApprovalRequested",
        "SecurityAlert",
        "DeviceEnrolled",
    }
)
OPT_IN = frozenset({"WeeklySummary"})


def events_for(role: str) -> list[str]:
    """The events a user of ``role`` can hear at all (the others have no preference to set)."""
    return [e for e in EVENTS if (recipients_for(e).child if role == "child" else recipients_for(e).parents)]


def defaults(event: str, role: str) -> dict[str, bool]:
    return {
        "email": role == "parent" and event in _EMAIL_BY_DEFAULT,
        "push": event not in OPT_IN,
        "sms": False,
    }


def _stored(row: NotificationPref) -> dict[str, bool]:
    return {"email": row.email, "push": row.push, "sms": bool(row.sms)}


def wants(session: Session, user_id: str, role: str, event: str, channel: str) -> bool:
    """Whether ``user_id`` wants ``event`` on ``channel`` (the inbox: always; a child's e-mail or
    SMS: never)."""
    if channel in _PARENTS_ONLY and role != "parent":
        return False
    if channel == "inbox" and event not in OPT_IN:
        return True
    return chooses(session.get(NotificationPref, (user_id, event)), role, event, channel)


def chooses(row: NotificationPref | None, role: str, event: str, channel: str) -> bool:
    """:func:`wants`, given the user's stored choice for ``event`` (``None``: the defaults); the
    dispatcher reads a family's choices at once for many events."""
    if channel in _PARENTS_ONLY and role != "parent":
        return False
    if channel == "inbox" and event not in OPT_IN:
        return True
    chosen = defaults(event, role) if row is None else _stored(row)
    if channel == "inbox":  # an opt-in event lands in the inbox of those who asked for it anywhere
        return chosen["email"] or chosen["push"] or chosen["sms"]
    return bool(chosen.get(channel, False))


def preferences(session: Session, user_id: str, role: str) -> dict[str, dict[str, bool]]:
    """Every event the user can hear → its channels, stored choices over the defaults."""
    stored = {
        row.event: _stored(row)
        for row in session.scalars(select(NotificationPref).where(NotificationPref.user_id == user_id))
    }
    return {event: stored.get(event, defaults(event, role)) for event in events_for(role)}


def set_preferences(
    session: Session, user_id: str, family_id: str, role: str, changes: dict[str, dict[str, Any]]
) -> dict[str, dict[str, bool]]:
    """Apply ``{event: {"email"?: bool, "push"?: bool, "sms"?: bool}}``. The body's schema names every
    event; one the caller's role never hears, or e-mail or SMS for a child, is ``FORBIDDEN`` (that
    role may not). SMS can be chosen before the number is verified: it reaches the parent once it is."""
    allowed = set(events_for(role))
    for event, channels in changes.items():
        if event not in EVENTS:  # the schema refuses it first; kept for callers outside a request
            raise DomainError(Code.INVALID_ARGS, f"no such notification: {event}")
        if event not in allowed:
            raise DomainError(Code.FORBIDDEN, f"this notification is not for your role: {event}")
        if role != "parent" and channels.get("email"):
            raise DomainError(Code.FORBIDDEN, "children have no e-mail")
        if role != "parent" and channels.get("sms"):
            raise DomainError(Code.FORBIDDEN, "children have no phone number")
    for event, channels in changes.items():
        row = session.get(NotificationPref, (user_id, event))
        if row is None:
            base = defaults(event, role)
            row = NotificationPref(
                user_id=user_id,
                event=event,
                family_id=family_id,
                email=base["email"],
                push=base["push"],
                sms=False,
            )
            session.add(row)
        if channels.get("email") is not None:
            row.email = bool(channels["email"]) and role == "parent"
        if channels.get("push") is not None:
            row.push = bool(channels["push"])
        if channels.get("sms") is not None:
            row.sms = bool(channels["sms"]) and role == "parent"
    session.flush()
    return preferences(session, user_id, role)
