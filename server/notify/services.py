"""What the notification routes do beyond the inbox: preferences, push tokens and test messages.

Each change is made in its pass through the gateway (``server.gateway.accounts``: who may make it,
and the member or notification it names, scoped to the caller's family), which the route opens.
"""

from __future__ import annotations

import smtplib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode

from ..db import Database
from ..db.models import PushTarget, User
from ..errors import DomainError
from ..gateway import AccountPass, Runner
from ..ids import new_id
from ..principal import Principal
from .channels import Channels
from .email import trial_letter
from .phone import forget_code, phone_view
from .phone import remove as remove_number
from .phone import start as start_number
from .phone import verify as verify_number
from .preferences import OPT_IN, preferences, set_preferences
from .push import NtfyPush, PushError, PushNote
from .schemas import (
    DeliveryChannels,
    EmailSent,
    EventChannels,
    NtfyTopic,
    PhoneView,
    Preferences,
    PushSent,
    PushTokenAnswer,
)
from .sms import SmsError

__all__ = [
    "add_phone",
    "read_preferences",
    "remove_phone",
    "verify_phone",
    "register_push_token",
    "send_test_email",
    "send_test_push",
    "write_preferences",
]

_TEST_PUSH = {
    "child": {"ko": ("안녕!", "알림이 잘 와요. 멋져요!"), "en": ("Hi there!", "Notifications work. Nice!")},
    "parent": {
        "ko": ("테스트 알림", "푸시 알림 설정이 잘 되었습니다."),
        "en": ("Test push", "Push is set up."),
    },
}


def _answer(session: Session, principal: Principal, channels: Channels) -> Preferences:
    role = principal.role.value
    events = preferences(session, principal.user_id, role)
    answer = Preferences(
        events={
            event: EventChannels(email=c["email"], push=c["push"], sms=c["sms"])
            for event, c in events.items()
        },
        # what this server delivers to the caller besides the inbox; the inbox keeps everything
        # except an opt-in event, which lands there only for those who chose another channel for it
        channels=DeliveryChannels(
            email=role == "parent" and channels.mailer is not None,
            push=channels.push is not None,
            sms=role == "parent" and channels.sms is not None,
        ),
        opt_in=sorted(OPT_IN & set(events)),
    )
    if isinstance(channels.push, NtfyPush):  # the app subscribes to this topic on the ntfy server
        answer.ntfy = NtfyTopic(server=channels.push.base_url, topic=channels.push.topic(principal.user_id))
    phone = phone_view(session, principal.user_id) if role == "parent" else None
    if phone is not None:
        answer.phone = phone
    return answer


def read_preferences(db: Database, principal: Principal, channels: Channels) -> Preferences:
    with db.read() as session:
        return _answer(session, principal, channels)


def write_preferences(
    call: AccountPass, channels: Channels, events: dict[str, dict[str, bool | None]]
) -> Preferences:
    """Store the caller's choices (``notification.preferences``); the answer is every event's
    channels afterwards."""
    principal, session = call.principal, call.session
    assert principal is not None and call.family_id is not None
    set_preferences(session, principal.user_id, call.family_id, principal.role.value, events)
    session.flush()
    return _answer(session, principal, channels)


def register_push_token(call: AccountPass, channels: Channels, token: str) -> PushTokenAnswer:
    """Bind ``token`` to the caller's own device (one per user and device; a new token replaces it).

    A token names one installation of the app: if another member's device in the family held it
    (the phone was enrolled again for someone else), it moves here, so one phone never gets two
    people's notifications.
    """
    principal, session, family = call.principal, call.session, call.family_id
    assert principal is not None and family is not None
    if principal.client_id is None:
        raise DomainError(Code.INVALID_ARGS, "a push token belongs to a device: sign in on one")
    session.execute(
        delete(PushTarget).where(
            PushTarget.family_id == family,
            PushTarget.token == token,
            PushTarget.client_id != principal.client_id,
        )
    )
    row = session.scalars(
        select(PushTarget).where(
            PushTarget.user_id == principal.user_id, PushTarget.client_id == principal.client_id
        )
    ).first()
    if row is None:
        row = PushTarget(
            id=new_id(), family_id=family, user_id=principal.user_id, client_id=principal.client_id
        )
        session.add(row)
    row.token, row.created_at = token, call.now
    # the token is kept whatever the provider, so switching the server to FCM later reaches it
    return PushTokenAnswer(
        registered=True, provider=channels.push.name if channels.push is not None else None
    )


def send_test_push(
    runner: Runner, channels: Channels, user_id: str | None, message: str | None = None
) -> PushSent:
    """A test push or an announcement to the caller or a member of its family (``push.send``)."""
    if channels.push is None:
        raise DomainError(ProtocolCode.CONFLICT, "no push provider is configured on this server")
    with runner.sending("push.send", user_id) as call:
        session, principal, user = call.session, call.principal, call.member()
        assert principal is not None
        targets = channels.push.targets(session, user.id)
        role = "child" if user.role == "child" else "parent"
        lang = user.locale if user.locale in ("ko", "en") else "ko"
        user_id = user.id
        caller = session.get(User, principal.user_id)
        sender = caller.display_name if caller is not None else ""
    if not targets:
        raise DomainError(ProtocolCode.CONFLICT, "this member has no device registered for push")
    title, body = _TEST_PUSH[role][lang]
    if message:  # an announcement: titled with who sent it, so a child knows it is from its parent
        title, body = sender, message
    try:
        ids = [channels.push.send(t, PushNote(title, body, {"event": "Test"})) for t in targets]
    except PushError as error:
        raise DomainError(ProtocolCode.PROVIDER_FAILED, f"the push provider refused: {error}") from None
    return PushSent(sent=len(ids), provider=channels.push.name, user_id=user_id)


def send_test_email(runner: Runner, channels: Channels, user_id: str | None) -> EmailSent:
    """A test e-mail to the caller or another parent of its family (``email.send``)."""
    if channels.mailer is None:
        raise DomainError(ProtocolCode.CONFLICT, "no SMTP server is configured on this server")
    with runner.sending("email.send", user_id) as call:
        user = call.member()
        if user.role == "child" or not user.email:
            raise DomainError(Code.INVALID_ARGS, "children have no e-mail address")
        letter = trial_letter(user.email, user.display_name, user.locale)
        user_id = user.id
    try:
        channels.mailer.send(letter)
    except (smtplib.SMTPException, OSError) as error:
        raise DomainError(
            ProtocolCode.PROVIDER_FAILED, f"the SMTP server refused: {type(error).__name__}"
        ) from None
    return EmailSent(sent=1, user_id=user_id)


def add_phone(runner: Runner, channels: Channels, number: str) -> PhoneView:
    """The caller's number for SMS (``phone.set``, step-up): stored unverified, and a code sent to it.

    The code leaves after the commit; if the provider refuses, the code is dropped (a new one may be
    asked at once) and the answer is ``PROVIDER_FAILED``. Codes per parent are capped by the
    gateway's limiter (``sms-code``) besides the minute between two codes (``notify.phone``).
    """
    with runner.change("phone.set") as call:
        if channels.sms is None:
            raise DomainError(ProtocolCode.CONFLICT, "no SMS provider is configured on this server")
        assert call.principal is not None and call.family_id is not None
        runner.gateway.accounts.limiter.hit("sms-code", call.principal.user_id)
        text, digest = start_number(call, channels.code_key, number)
        user_id, family_id = call.principal.user_id, call.family_id
    try:
        channels.sms.send(text)
    except SmsError:
        with runner.db.write(family_id) as session:
            forget_code(session, user_id, digest)
        raise DomainError(ProtocolCode.PROVIDER_FAILED, "the SMS provider refused the code") from None
    with runner.db.read() as session:
        view = phone_view(session, user_id)
    assert view is not None
    return view


def verify_phone(runner: Runner, channels: Channels, code: str) -> PhoneView:
    """The code the caller received (``phone.verify``): right, and SMS reaches this number."""
    with runner.change("phone.verify") as call:
        return verify_number(call, channels.code_key, code)


def remove_phone(runner: Runner) -> None:
    """Forget the caller's number (``phone.remove``, step-up): no SMS reaches it any more."""
    with runner.change("phone.remove") as call:
        remove_number(call)
