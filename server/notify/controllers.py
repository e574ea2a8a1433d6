"""HTTP routes of notifications: the caller's inbox, its channel preferences, and test messages.

Every change passes the gateway (``server.gateway.accounts``: ``notification.read``,
``notification.preferences``, ``push_token.set``, ``push.send``, ``email.send``, ``phone.set``,
``phone.verify``, ``phone.remove``), which decides who may make it and scopes the notification or
member it names; a test message's route and the phone routes ask it for the caller's role before the
body is read (a child posting anything is 403).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, JSONBody, QueryParameter

from sync.errors import ProtocolCode

from ..db import Database
from ..gateway import Runner, family_of, route_guard
from ..gateway.rest import RUNNER, RawBody, strict
from ..principal import Principal
from ..problems import documented
from . import services
from .channels import Channels
from .inbox import inbox, mark_read, notification_view
from .schemas import EmailSent, Inbox, NotificationView, PhoneView, Preferences, PushSent, PushTokenAnswer
from .texts import EVENTS

__all__ = ["ROUTES"]


class ChannelChoice(msgspec.Struct, forbid_unknown_fields=True):
    email: bool | None = None
    push: bool | None = None
    sms: bool | None = None


class PreferencesBody(msgspec.Struct, forbid_unknown_fields=True):
    events: dict[Annotated[str, msgspec.Meta(max_length=40)], ChannelChoice] = {}

    # the events there are (server.openapi); one the caller's role never hears is 403
    __openapi_fields__: ClassVar[dict[str, dict[str, Any]]] = {
        "events": {"property_names": Schema(type=OpenAPIType.STRING, enum=list(EVENTS))}
    }


class PushTokenBody(msgspec.Struct, forbid_unknown_fields=True):
    # an FCM registration token: URL-safe characters and colons, about 150-250 long
    token: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_:.\-]{8,400}$")]


class PhoneBody(msgspec.Struct, forbid_unknown_fields=True):
    # a Korean mobile number, with or without dashes or +82 (``notify.sms.normal_number`` decides)
    phone: Annotated[str, msgspec.Meta(min_length=10, max_length=20, pattern=r"^[0-9+\-. ()]+$")]


class PhoneCodeBody(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


class TestMessageBody(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class PushBody(TestMessageBody, forbid_unknown_fields=True):
    # an announcement from a parent ("저녁 먹자!"); without it the recipient gets the test message
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    dependencies = RUNNER

    @get("/", operation_id="listNotifications", responses=documented(401, 404, 422, 429), sync_to_thread=True)
    def list_(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> Inbox:
        """The caller's inbox, newest first, with the number of unread notifications."""
        family_of(request.user)  # the operator has no inbox: family data does not exist for it
        with db.read() as session:
            return inbox(session, request.user.user_id, limit)

    @post(
        "/{notification_id:str}/read",
        operation_id="markNotificationRead",
        responses=documented(401, 404, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def read(self, notification_id: FromPath[str], runner: NamedDependency[Runner]) -> NotificationView:
        """Mark one of the caller's own notifications read; anyone else's is a 404."""
        with runner.change("notification.read", notification_id) as call:
            role = runner.principal.role.value
            return notification_view(mark_read(call.session, call.notification(), role, call.now))

    @get(
        "/preferences",
        operation_id="getNotificationPreferences",
        responses=documented(401, 404, 429),
        sync_to_thread=True,
    )
    def get_preferences(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], state: State
    ) -> Preferences:
        """Per event the caller can hear: e-mail and push on or off (and the ntfy topic to subscribe to)."""
        family_of(request.user)
        return services.read_preferences(db, request.user, _channels(state))

    @put(
        "/preferences",
        operation_id="setNotificationPreferences",
        responses=documented(401, 403, 404, 422, 429),
        sync_to_thread=True,
    )
    def set_preferences(
        self,
        data: JSONBody[PreferencesBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        state: State,
    ) -> Preferences:
        """Turn e-mail, push and SMS on or off per event (a child has no e-mail or SMS)."""
        with runner.change("notification.preferences") as call:
            data = strict(PreferencesBody, raw_body)  # ``0`` is no ``false`` (after who may: as before)
            events = {
                event: {"email": c.email, "push": c.push, "sms": c.sms} for event, c in data.events.items()
            }
            return services.write_preferences(call, _channels(state), events)

    @put(
        "/push-token",
        operation_id="registerPushToken",
        responses=documented(401, 404, 422, 429),
        sync_to_thread=True,
    )
    def register_push_token(
        self, data: JSONBody[PushTokenBody], runner: NamedDependency[Runner], state: State
    ) -> PushTokenAnswer:
        """The push token of the caller's own device (the one its access token is bound to)."""
        with runner.change("push_token.set") as call:
            return services.register_push_token(call, _channels(state), data.token)

    @post(
        "/push",
        operation_id="sendTestPush",
        guards=[route_guard("push.send")],
        responses=documented(401, 403, 404, 409, 422, 429, codes=[ProtocolCode.PROVIDER_FAILED]),
        sync_to_thread=True,
        status_code=200,
    )
    def test_push(self, data: JSONBody[PushBody], runner: NamedDependency[Runner], state: State) -> PushSent:
        """A test push or a short announcement to the caller or (a parent) a member of its family."""
        return services.send_test_push(runner, _channels(state), data.user_id, data.message)

    @post(
        "/email",
        operation_id="sendTestEmail",
        guards=[route_guard("email.send")],
        responses=documented(401, 403, 404, 409, 422, 429, codes=[ProtocolCode.PROVIDER_FAILED]),
        sync_to_thread=True,
        status_code=200,
    )
    def test_email(
        self, data: JSONBody[TestMessageBody], runner: NamedDependency[Runner], state: State
    ) -> EmailSent:
        """A test e-mail to the caller or another parent of its family (children have no e-mail)."""
        return services.send_test_email(runner, _channels(state), data.user_id)

    @put(
        "/phone",
        operation_id="setPhoneNumber",
        guards=[route_guard("phone.set")],
        responses=documented(401, 403, 404, 409, 422, 429, codes=[ProtocolCode.PROVIDER_FAILED]),
        sync_to_thread=True,
    )
    def set_phone(
        self, data: JSONBody[PhoneBody], runner: NamedDependency[Runner], state: State
    ) -> PhoneView:
        """A parent's mobile number for SMS (step-up): stored unverified, and a 6-digit code sent to it."""
        return services.add_phone(runner, _channels(state), data.phone)

    @post(
        "/phone/verify",
        operation_id="verifyPhoneNumber",
        guards=[route_guard("phone.verify")],
        responses=documented(
            401,
            403,
            404,
            409,
            422,
            429,
            codes=[ProtocolCode.PHONE_CODE_WRONG, ProtocolCode.PHONE_CODE_EXPIRED],
        ),
        sync_to_thread=True,
        status_code=200,
    )
    def verify_phone(
        self, data: JSONBody[PhoneCodeBody], runner: NamedDependency[Runner], state: State
    ) -> PhoneView:
        """The code sent to the number: right, and SMS can reach it (5 tries, 10 minutes)."""
        return services.verify_phone(runner, _channels(state), data.code)

    @delete(
        "/phone",
        operation_id="removePhoneNumber",
        guards=[route_guard("phone.remove")],
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
    )
    def remove_phone(self, runner: NamedDependency[Runner]) -> None:
        """Forget the parent's number (step-up): no SMS reaches it any more."""
        services.remove_phone(runner)


def _channels(state: State) -> Channels:
    channels: Channels = state.channels
    return channels


ROUTES: list[Any] = [NotificationController]
