"""The live channel ``GET /ws``: quotes, pokes and notifications pushed to online devices.

Messages (JSON text frames; prices are integers like everywhere: won, or micro-dollars for USD)::

    device → server
      {"type": "auth", "token": "<access token>"}         first, within settings.live_auth_timeout_s;
                                                           again later with a fresh token to stay open
      {"type": "subscribe", "channels": ["prices:005930.KS", …]}     at most 50 per socket
      {"type": "unsubscribe", "channels": ["prices:005930.KS"]}

    server → device
      {"type": "ready", "user_id": …}                     authenticated (also after a re-auth)
      {"type": "subscribed", "channels": [...]}           the socket's channels now
      {"type": "quote", "quote_id", "symbol", "price", "currency", "as_of", "source", "seq"}
                                                           a quote new to this device, for a subscribed
                                                           symbol whose market is open
      {"type": "poke"}                                     something in the caller's scope changed: pull
      {"type": "notification", "notification_id", "user_id", "child_id", "event", "title", "body",
       "data", "created_at", "read_at"}                    a delivered inbox item, to its owner only
      {"type": "error", "code", "detail", …}               a message was refused; the socket stays open

A message is at most 8 KiB: a larger frame is refused from its header with close code 1009 (by
uvicorn's ``ws_max_size`` in ``yongdon server``, by the channel itself under any other server). A
missing, late or invalid ``auth`` (the bearer middleware's checks: signature, iss/aud/typ, expiry,
revoked device or session) closes the socket with code 4401, as does the token's expiry unless a
fresh token was sent, and (checked every 30 s) a signed-out session or a revoked device. Channels
other than ``prices:<symbol>`` are refused (``FORBIDDEN``): the family and user scope is implicit and
follows the pull's rules.
"""

from .channel import LiveChannel

__all__ = ["LiveChannel"]
