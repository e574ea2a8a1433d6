"""A notification in words, in the reader's language at the moment it is shown.

The server stores each notification's facts (``data["facts"]``, see ``server/notify/facts.py``): the
event, the stock's symbol, the side, quantities and amounts. Here they become a sentence from the
catalog (``i18n/*/notify.json``, keys ``notify.msg.<role>.<Event>.title`` / ``.body`` / ``.body_buy``
/ ``.body_sell`` / ``.body_sell_<reason>`` when the reason changes what became of the shares), with
the stock's name from the bundled directory (never "005930.KS"), money in the one money language
(``i18n/fmt.py``) and Korean particles resolved by the catalog. A notification without facts (stored
before they existed, or of a newer shape) shows its stored text, with a raw symbol code in it
replaced by the stock's name.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sync.money import parse_micro_shares
from sync.search import SymbolIndex

from .base import Tools
from .market import entry_name, load_index

__all__ = ["FACTS_VERSION", "bundled_index", "stock_name", "word"]

FACTS_VERSION = 1  # the shape of data["facts"] this app words (server/notify/facts.py)


@cache
def bundled_index() -> SymbolIndex:
    """The directory the app ships (the same cached index the market screen uses)."""
    from client.config import load_config  # the config reads files: only when a name is needed

    return load_index(Path(load_config().assets_dir) / "market" / "symbols.json")


def stock_name(symbol: str, locale: str, index: SymbolIndex | None = None) -> str:
    entry = (index or bundled_index()).get(symbol)
    return entry_name(entry, locale) if entry else symbol


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _day(facts: dict[str, Any], tools: Tools) -> str:
    """The day of a fact's ``due`` moment (an erasure's) in the viewer's timezone, "" without one."""
    try:
        return tools.fmt.day(datetime.fromisoformat(str(facts.get("due"))))
    except ValueError:
        return ""


def _values(facts: dict[str, Any], tools: Tools, index: SymbolIndex | None) -> dict[str, str]:
    """Every placeholder the notify.msg texts use, worded ("" for a fact the event lacks)."""
    tr, fmt = tools.tr, tools.fmt
    symbol = str(facts.get("symbol") or "")
    side = str(facts.get("side") or "")
    quantity, amount = _int(facts.get("quantity")), _int(facts.get("amount"))
    price, total, reserved = _int(facts.get("price")), _int(facts.get("total")), _int(facts.get("reserved"))
    shares = fmt.shares(quantity) if quantity else ""
    by_amount = symbol and not shares and amount  # an order by amount: "10,000 G₩어치"
    size = tr("notify.size_amount", amount=fmt.game(amount or 0)) if by_amount else shares
    held = ""
    if reserved:
        held = fmt.shares(reserved) if side == "sell" else fmt.game(reserved)
    owned = str(facts.get("shares") or "")  # dividends and splits: the server's share count, as text
    owned_micro = parse_micro_shares(owned)  # worded again by the one rule (older texts have 6 decimals)
    kind = str(facts.get("kind") or "")
    awaiting = str(facts.get("awaiting") or "")
    profit = _int(facts.get("profit"))
    return {
        "name": stock_name(symbol, tr.locale, index) if symbol else "",
        "size": size,
        "price": fmt.price(symbol, price, _int(facts.get("fx_rate"))) if symbol and price else "",
        "total": fmt.game(total) if total else "",
        "reserved": held,
        "amount": fmt.game(amount) if amount else "",
        "owned": (fmt.shares(owned_micro) if owned_micro is not None else tr("fmt.shares", count=owned))
        if owned
        else "",
        "old": str(facts.get("old") or ""),
        "new": str(facts.get("new") or ""),
        "real": fmt.won(real) if (real := _int(facts.get("amount_real"))) is not None else "",
        "reason": str(facts.get("reason") or ""),
        "why": _why(str(facts.get("reason") or ""), tools),
        "child": str(facts.get("child") or ""),
        "who": str(facts.get("who") or ""),
        "device": str(facts.get("device") or ""),
        "alert": tr(
            f"notify.alert.{kind}",
            device=str(facts.get("device") or ""),
            due=_day(facts, tools),
            phone=str(facts.get("phone") or ""),
        )
        if tr.has(f"notify.alert.{kind}")
        else kind,
        "awaiting": tr(f"notify.awaiting.{awaiting}") if tr.has(f"notify.awaiting.{awaiting}") else awaiting,
        "value": fmt.game(v) if (v := _int(facts.get("value"))) is not None else "",
        "profit": fmt.game(profit, signed=True) if profit is not None else "",
        "gain": _gain(profit, tools) if profit is not None else "",
        "pending": str(facts.get("pending") if facts.get("pending") is not None else ""),
    }


def _why(reason: str, tools: Tools) -> str:
    """Why the server cancelled a waiting order (a split, a delisting, our price history ending)."""
    key = f"notify.why.{reason}"
    return tools.tr(key) if reason and tools.tr.has(key) else ""


def _gain(profit: int, tools: Tools) -> str:
    """A settlement's gain or loss against what the shares cost: "산 값보다 1,200 G₩ 더 받았어요."."""
    if profit == 0:
        return tools.tr("notify.gain.even")
    key = "notify.gain.up" if profit > 0 else "notify.gain.down"
    return tools.tr(key, amount=tools.fmt.game(abs(profit)))


def word(n: dict[str, Any], role: str, tools: Tools, index: SymbolIndex | None = None) -> tuple[str, str]:
    """``(title, body)`` of notification ``n`` for a reader of ``role`` ("child"/"parent")."""
    data = n.get("data") if isinstance(n.get("data"), dict) else {}
    facts = data.get("facts") if data else None
    event = str(n.get("event", ""))
    tr = tools.tr
    stored = (str(n.get("title", "")), str(n.get("body", "")))
    if not isinstance(facts, dict) or facts.get("version") != FACTS_VERSION:
        return _stored(stored, data or {}, tr.locale, index)
    base = f"notify.msg.{role}.{event}"
    side, reason = str(facts.get("side") or ""), str(facts.get("reason") or "")
    # the most particular wording the catalog has: by side and why (a settled sell), by side, plain
    keys = [f"{base}.body_{side}_{reason}", f"{base}.body_{side}", f"{base}.body"]
    body_key = next((k for k in keys if tr.has(k)), f"{base}.body")
    if not (tr.has(f"{base}.title") and tr.has(body_key)):
        return _stored(stored, data or {}, tr.locale, index)  # an event this app has no words for
    try:
        values = _values(facts, tools, index)
        return tr(f"{base}.title", **values), " ".join(tr(body_key, **values).split())
    except (KeyError, ValueError, TypeError):  # facts that do not fit the words: the stored text
        return _stored(stored, data or {}, tr.locale, index)


def _stored(
    stored: tuple[str, str], data: dict[str, Any], locale: str, index: SymbolIndex | None
) -> tuple[str, str]:
    """The text the server stored, with the stock's code replaced by its name (older notifications
    said "005930.KS 주문이 체결됐어요")."""
    title, body = stored
    symbol = data.get("symbol")
    if isinstance(symbol, str) and symbol and symbol in body:
        written = "ko" if any("가" <= c <= "힣" for c in body) else "en"  # the stored text's language
        body = body.replace(symbol, stock_name(symbol, written, index))
    return title, body
