"""What the notification routes do beyond the inbox: preferences, push tokens and test messages."""

from __future__ import annotations

import smtplib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode

from ..db import Database
from ..db.models import PushTarget, User
from ..errors import ProblemError
from ..ids import new_id
from ..principal import Principal
from .channels import Channels
from .email import trial_letter
from .preferences import preferences, set_preferences
from .push import NtfyPush, PushError, PushNote

__all__ = ["read_preferences", "send_test_email", "send_test_push", "write_preferences"]

_TEST_PUSH = {
    "child": {"ko": ("안녕!", "알림이 잘 와요. 멋져요!"), "en": ("Hi there!", "Notifications work. Nice!")},
    "parent": {
        "ko": ("테스트 알림", "푸시 알림 설정이 잘 되었습니다."),
        "en": ("Test push", "Push is set up."),
    },
}


def _answer(session: Session, principal: Principal, channels: Channels) -> dict[str, Any]:
    answer: dict[str, Any] = {"events": preferences(session, principal.user_id, principal.role.value)}
    if isinstance(channels.push, NtfyPush):  # the app subscribes to this topic on the ntfy server
        answer["ntfy"] = {"server": channels.push.base_url, "topic": channels.push.topic(principal.user_id)}
    return answer


def read_preferences(db: Database, principal: Principal, channels: Channels) -> dict[str, Any]:
    with db.read() as session:
        return _answer(session, principal, channels)


def write_preferences(
    db: Database,
    principal: Principal,
    channels: Channels,
    events: dict[str, dict[str, bool | None]],
    push_token: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Store the caller's choices and, given one, this device's FCM token (one per user and device)."""
    assert principal.family_id is not None
    with db.write(principal.family_id) as session:
        set_preferences(session, principal.user_id, principal.family_id, principal.role.value, events)
        if push_token is not None:
            if principal.client_id is None:
                raise ProblemError(422, Code.INVALID_ARGS, "a push token belongs to a device: sign in on one")
            row = session.scalars(
                select(PushTarget).where(
                    PushTarget.user_id == principal.user_id, PushTarget.client_id == principal.client_id
                )
            ).first()
            if row is None:
                session.add(
                    PushTarget(
                        id=new_id(),
                        family_id=principal.family_id,
                        user_id=principal.user_id,
                        client_id=principal.client_id,
                        token=push_token,
                        created_at=now,
                    )
                )
            else:
                row.token, row.created_at = push_token, now
        session.flush()
        return _answer(session, principal, channels)


def _recipient(session: Session, principal: Principal, user_id: str | None) -> User:
    """The caller itself, or (for a parent) a member of its own family; anyone else does not exist."""
    user = session.get(User, user_id or principal.user_id)
    if user is None or (user.id != principal.user_id and user.family_id != principal.family_id):
        raise ProblemError(404, Code.NOT_FOUND, "no such member")
    if principal.family_id is None and user.id != principal.user_id:
        raise ProblemError(404, Code.NOT_FOUND, "no such member")  # the operator reaches only itself
    return user


def send_test_push(
    db: Database, principal: Principal, channels: Channels, user_id: str | None, message: str | None = None
) -> dict[str, Any]:
    if channels.push is None:
        raise ProblemError(409, ProtocolCode.CONFLICT, "no push provider is configured on this server")
    with db.read() as session:
        user = _recipient(session, principal, user_id)
        targets = channels.push.targets(session, user.id)
        role = "child" if user.role == "child" else "parent"
        lang = user.locale if user.locale in ("ko", "en") else "ko"
        user_id = user.id
        caller = session.get(User, principal.user_id)
        sender = caller.display_name if caller is not None else ""
    if not targets:
        raise ProblemError(409, ProtocolCode.CONFLICT, "this member has no device registered for push")
    title, body = _TEST_PUSH[role][lang]
    if message:  # an announcement: titled with who sent it, so a child knows it is from its parent
        title, body = sender, message
    try:
        ids = [channels.push.send(t, PushNote(title, body, {"event": "Test"})) for t in targets]
    except PushError as error:
        raise ProblemError(502, ProtocolCode.UNAVAILABLE, f"the push provider refused: {error}") from None
    return {"sent": len(ids), "provider": channels.push.name, "user_id": user_id}


def send_test_email(
    db: Database, principal: Principal, channels: Channels, user_id: str | None
) -> dict[str, Any]:
    if channels.mailer is None:
        raise ProblemError(409, ProtocolCode.CONFLICT, "no SMTP server is configured on this server")
    with db.read() as session:
        user = _recipient(session, principal, user_id)
        if user.role == "child" or not user.email:
            raise ProblemError(422, Code.INVALID_ARGS, "children have no e-mail address")
        letter = trial_letter(user.email, user.display_name, user.locale)
        user_id = user.id
    try:
        channels.mailer.send(letter)
    except (smtplib.SMTPException, OSError) as error:
        raise ProblemError(
            502, ProtocolCode.UNAVAILABLE, f"the SMTP server refused: {type(error).__name__}"
        ) from None
    return {"sent": 1, "user_id": user_id}
