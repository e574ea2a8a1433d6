"""HTTP routes of the inbox: the caller's own notifications and marking one read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from sync.errors import Code

from ..db import Database
from ..errors import ProblemError
from ..principal import Principal
from ..problems import documented
from .inbox import inbox, mark_read, notification_data

__all__ = ["ROUTES"]


def _family_member(principal: Principal) -> str:
    if principal.family_id is None:  # the operator has no inbox: family data does not exist for it
        raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
    return principal.family_id


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


ROUTES: list[Any] = [NotificationController]
