"""The wire of ``/ws``: what a device may send, what the server sends back, and the close codes.

Inbound messages are tagged msgspec structs (``type`` is the tag), so a malformed message is refused
with a stable code instead of reaching the handler half-parsed.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import msgspec

from sync.errors import Code, ProtocolCode
from sync.market import Quote

__all__ = [
    "CLOSE_TOO_BIG",
    "CLOSE_UNAUTHENTICATED",
    "MAX_CHANNELS",
    "MAX_MESSAGE",
    "Auth",
    "Inbound",
    "Subscribe",
    "Unsubscribe",
    "decode_inbound",
    "error",
    "price_symbol",
    "quote_message",
]

# 4000-4999 are the application's own codes; 4401 mirrors HTTP 401 so a client handles both alike.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009  # RFC 6455 "message too big": what uvicorn sends when a frame passes ws_max_size
MAX_CHANNELS = 50  # a watchlist, not the whole directory
# a token or 50 channel names fit many times over; nothing larger is parsed, and the server process
# refuses a larger frame from its header (uvicorn's ws_max_size, server.cli) before buffering it
MAX_MESSAGE = 8 * 1024
_PRICES = "prices:"
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.=^-]{0,19}$")


class Auth(msgspec.Struct, tag="auth", tag_field="type", forbid_unknown_fields=True):
    token: str


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="type", forbid_unknown_fields=True):
    channels: list[str]


class Unsubscribe(msgspec.Struct, tag="unsubscribe", tag_field="type", forbid_unknown_fields=True):
    channels: list[str]


Inbound = Auth | Subscribe | Unsubscribe
_decoder = msgspec.json.Decoder(Inbound)


def decode_inbound(text: str | bytes) -> Inbound:
    """Parse one client message; raises ``msgspec.ValidationError`` / ``DecodeError`` when malformed
    or larger than :data:`MAX_MESSAGE`."""
    if len(text) > MAX_MESSAGE:
        raise msgspec.ValidationError(f"a message is at most {MAX_MESSAGE} bytes")
    return _decoder.decode(text)


def price_symbol(channel: str) -> str | None:
    """The symbol of a ``prices:<symbol>`` channel, or ``None`` for any channel a device may not name.

    The family and user channels are implicit (every socket gets its own scope's events), so naming
    one, or anything else, is refused rather than trusted.
    """
    if not channel.startswith(_PRICES):
        return None
    symbol = channel[len(_PRICES) :]
    return symbol if _SYMBOL.match(symbol) else None


def quote_message(quote: Quote) -> dict[str, Any]:
    """``{"type": "quote", quote_id, symbol, price, currency, as_of, source, seq}`` (integers: price, seq).

    ``seq`` orders it among the quotes the device pulled: the device keeps it like a pulled one,
    because it is recorded as served to that device and no pull will send it again."""
    return {
        "type": "quote",
        "quote_id": quote.quote_id,
        "symbol": quote.symbol,
        "price": quote.price,
        "currency": quote.currency,
        "as_of": quote.as_of.astimezone(UTC).isoformat(),
        "source": quote.source,
        "seq": quote.seq,
    }


def error(code: Code | ProtocolCode, detail: str, **extra: Any) -> dict[str, Any]:
    """``{"type": "error", "code", "detail", …}``: the socket stays open, the message had no effect."""
    return {"type": "error", "code": code.value, "detail": detail, **extra}
