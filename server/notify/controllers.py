"""HTTP routes of notifications: the caller's inbox, its channel preferences, and test messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from sync.errors import Code
from sync.records import Role

from ..auth.guards import requires_role
from ..db import Database
from ..errors import ProblemError
from ..principal import Principal
from ..problems import documented
from . import services
from .channels import Channels
from .inbox import inbox, mark_read, notification_data

__all__ = ["ROUTES"]


def _family_member(principal: Principal) -> str:
    if principal.family_id is None:  # the operator has no inbox: family data does not exist for it
        raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
    return principal.family_id


class ChannelChoice(msgspec.Struct, forbid_unknown_fields=True):
    email: bool | None = None
    push: bool | None = None


class PreferencesBody(msgspec.Struct, forbid_unknown_fields=True):
    events: dict[Annotated[str, msgspec.Meta(max_length=40)], ChannelChoice] = {}
    push_token: Annotated[str, msgspec.Meta(min_length=1, max_length=400)] | None = None


class TestMessageBody(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class PushBody(TestMessageBody, forbid_unknown_fields=True):
    # an announcement from a parent ("저녁 먹자!"); without it the recipient gets the test message
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]

    @get("/", operation_id="listNotifications", responses=documented(401, 404, 422, 429), sync_to_thread=True)
    def list_(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> dict[str, Any]:
        """The caller's inbox, newest first, with the number of unread notifications."""
        _family_member(request.user)
        with db.read() as session:
            return inbox(session, request.user.user_id, limit)

    @post(
        "/{notification_id:str}/read",
        operation_id="markNotificationRead",
        responses=documented(401, 404, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def read(
        self,
        request: Request[Principal, Any, Any],
        notification_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> dict[str, Any]:
        """Mark one of the caller's own notifications read; anyone else's is a 404."""
        principal = request.user
        family = _family_member(principal)
        with db.write(family) as session:
            row = mark_read(session, principal.user_id, principal.role.value, notification_id, clock())
            if row is None:
                raise ProblemError(404, Code.NOT_FOUND, "no such notification")
            return notification_data(row)

    @get(
        "/preferences",
        operation_id="getNotificationPreferences",
        responses=documented(401, 404, 429),
        sync_to_thread=True,
    )
    def get_preferences(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], state: State
    ) -> dict[str, Any]:
        """Per event the caller can hear: e-mail and push on or off (and the ntfy topic to subscribe to)."""
        _family_member(request.user)
        return services.read_preferences(db, request.user, _channels(state))

    @put(
        "/preferences",
        operation_id="setNotificationPreferences",
        responses=documented(401, 404, 422, 429),
        sync_to_thread=True,
    )
    def set_preferences(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[PreferencesBody],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        state: State,
    ) -> dict[str, Any]:
        """Turn channels on or off per event; ``push_token`` registers this device's FCM token."""
        _family_member(request.user)
        events = {event: {"email": c.email, "push": c.push} for event, c in data.events.items()}
        return services.write_preferences(
            db, request.user, _channels(state), events, data.push_token, clock()
        )

    @post(
        "/push",
        operation_id="sendTestPush",
        guards=[requires_role(Role.PARENT, Role.ADMIN)],
        responses=documented(401, 403, 404, 409, 422, 429, 502),
        sync_to_thread=True,
        status_code=200,
    )
    def test_push(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[PushBody],
        db: NamedDependency[Database],
        state: State,
    ) -> dict[str, Any]:
        """A test push or a short announcement to the caller or (a parent) a member of its family."""
        return services.send_test_push(db, request.user, _channels(state), data.user_id, data.message)

    @post(
        "/email",
        operation_id="sendTestEmail",
        guards=[requires_role(Role.PARENT, Role.ADMIN)],
        responses=documented(401, 403, 404, 409, 422, 429, 502),
        sync_to_thread=True,
        status_code=200,
    )
    def test_email(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[TestMessageBody],
        db: NamedDependency[Database],
        state: State,
    ) -> dict[str, Any]:
        """A test e-mail to the caller or another parent of its family (children have no e-mail)."""
        return services.send_test_email(db, request.user, _channels(state), data.user_id)


def _channels(state: State) -> Channels:
    channels: Channels = state.channels
    return channels


ROUTES: list[Any] = [NotificationController]
