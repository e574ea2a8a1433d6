"""A push token for this device, and registering it with the family server.

A server that pushes through FCM (``YONGDON_PUSH_PROVIDER=fcm``) sends to the tokens devices
registered with ``PUT /api/notifications/push-token`` (bound to the device the session belongs to).
Flet 1.0.5 has no API for a push token, and the Flet extensions on PyPI show local notifications
only: a phone build that adds FCM (a Flutter extension around ``firebase_messaging``) supplies its
token through a :class:`PushTokenSource` passed to ``client.app.make_main(…, push_tokens=…)``. The
web view and the desktop window have none (:class:`NoPushTokens`): nothing is sent, and the inbox,
e-mail (parents) or ntfy (its own app on the phone, subscribed to the topic the settings screen
shows) carry the news instead.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

__all__ = ["NoPushTokens", "PushTarget", "PushTokenSource", "register_push"]


class PushTokenSource(Protocol):
    """Where this installation's push token comes from (``None``: it has none)."""

    async def token(self) -> str | None: ...


class PushApi(Protocol):
    async def register_push_token(self, token: str) -> Any: ...


class PushTarget(Protocol):
    """The signed-in identity a token is registered for: ``client.profile.Profile`` (its server API)."""

    @property
    def api(self) -> PushApi: ...


class NoPushTokens:
    """The web view and the desktop window: no push token."""

    async def token(self) -> str | None:
        return None


async def register_push(profile: PushTarget, source: PushTokenSource) -> bool | None:
    """Tell the server this device's token for ``profile``'s identity: True when it took it, False
    when it could not be reached (try again later; a repeat only refreshes the row), ``None`` when
    this device has no token (nothing to do)."""
    token = await source.token()
    if not token:
        return None
    with contextlib.suppress(Exception):  # ApiError, OFFLINE among them
        await profile.api.register_push_token(token)
        return True
    return False
