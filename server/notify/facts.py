"""The facts a notification carries for the app to word it itself, in the reader's language of the moment.

The stored title and body are worded once, in the recipient's language when the event happened (push,
e-mail and older apps show those). The app instead words ``data["facts"]`` with its own catalog when it
shows the notification, so switching to English turns the inbox English and a stock reads by its
name, never its code. The facts are plain JSON values:

- trades (``TradeExecuted``, ``TradeAdjusted``, ``TradeRejected``, ``OrderQueued``, ``OrderCancelled``,
  ``TradeApprovalRequested``, ``TradeDeclined`` with the parent's ``reason``):
  ``symbol``, ``side`` (buy/sell), ``quantity`` (micro-shares; 0 for an order by amount), ``amount``
  (game won ordered, for an order by amount), ``price`` (the fill, or the price the order cited, in the
  stock's own currency: won or micro-dollars), ``total`` (game won paid or received), ``reserved`` (game
  won or micro-shares held while queued), ``fx_rate`` (micro-won per dollar), ``at`` (the fill's time);
- ``DividendPaid``: ``symbol``, ``amount`` (game won), ``shares``; ``SplitApplied``: ``symbol``, ``old``,
  ``new``, ``shares``;
- ``StockDelisted`` (a real delisting) and ``PriceHistoryEnded`` (history replay: our bundled prices of
  the company end): ``symbol``, ``shares`` (text), ``price`` (the last price, won or micro-dollars),
  ``fx_rate`` (a dollar stock), ``total`` (game won received), ``profit`` (game won gained or lost);
- allowance events: ``amount_real`` (real won), ``reason``, ``awaiting``, ``child``;
- ``MissionCompleted``: ``mission_id``, ``kind``, ``target``, ``title_ko``, ``title_en``, ``child`` (the
  reward, game won, is in the stored text);
- ``DeviceEnrolled``/``SecurityAlert``: ``who``, ``kind``, ``device``; ``WeeklySummary``: ``child``,
  ``value``, ``profit``, ``pending``.

``version`` names this shape; an app that meets a newer one (or none: an old notification) shows the
stored text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FACTS_VERSION", "client_facts", "trade_facts"]

FACTS_VERSION = 1

_TRADE_FIELDS = ("side", "quantity", "amount", "total", "reserved", "fx_rate")
# worded facts for the stored text only, and ids the notification links to elsewhere
_NOT_FOR_THE_APP = frozenset(
    {"company_ko", "company_en", "per_share_ko", "per_share_en", "name_ko", "name_en", "side_ko", "side_en"}
    | {"company_name_ko", "price_ko", "price_en", "gain_ko", "gain_en"}
    | {"trade_id", "request_id", "ref", "user_id", "actor_id", "txn_id", "amount"}
)


def trade_facts(trade: dict[str, Any]) -> dict[str, Any]:
    """The facts of an order (a ``sync.records.Trade`` as stored) the wording needs."""
    facts = {key: trade.get(key) for key in _TRADE_FIELDS}
    price = trade.get("fill_price") or trade.get("limit_price") or trade.get("cited_price")
    facts["price"] = price
    facts["at"] = trade.get("filled_at")
    return facts


def client_facts(event: str, facts: dict[str, Any], trade: dict[str, Any] | None) -> dict[str, Any]:
    """What ``data["facts"]`` carries: JSON scalars only, the trade's facts for a trade event."""
    out: dict[str, Any] = {
        k: v
        for k, v in facts.items()
        if k not in _NOT_FOR_THE_APP and (v is None or isinstance(v, str | int | float | bool))
    }
    if trade is not None:
        out.update(trade_facts(trade))
    elif event == "DividendPaid" and isinstance(facts.get("amount"), int):
        out["amount"] = facts["amount"]  # game won credited
    out["version"] = FACTS_VERSION
    return out
