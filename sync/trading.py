"""Deciding trades: place, cancel, a parent's approval, fill a queued order at the open, dividends,
splits and delistings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from .approval import needs_approval
from .book import Book, Effects
from .context import Context, kst_day
from .errors import Code, Rejected
from .fills import Fill, Queue, collar_ok, decide_fill, limit_ok, quote_detail
from .journal import journal_of, require_journal
from .ledger import Entry, move, position_account, reserved_shares_account
from .market import Quote, currency_of, market_of
from .money import BPS, MICRO, div_ceil, div_floor
from .pricing import FillCost, buy_cost, quantity_for_amount, sell_proceeds, sell_quantity_for_amount
from .protocol import TradeCancel, TradeDecide, TradePlace
from .records import HOLDING, Position, Stats, Trade, TradeStatus
from .rules import FillPolicy, HouseRules, TradeApproval

__all__ = [
    "Reserve",
    "apply_split",
    "cancel_order",
    "decide_trade",
    "fill_queued",
    "pay_dividend",
    "place_order",
    "queued_reserve",
    "settle_delisting",
]


def _fx(book: Book, symbol: str) -> Quote | None:
    if currency_of(symbol) == "KRW":
        return None
    fx = book.fx_quote()
    if fx is None:
        raise Rejected(Code.QUOTE_UNKNOWN, {"fx": "USDKRW"})
    return fx


def _share_price_krw(price: int, fx: Quote | None) -> int:
    return price if fx is None else price * fx.price // (MICRO * MICRO)


def _cost(side: str, price: int, quantity: int, fx: Quote | None, rules: HouseRules) -> FillCost:
    rate = fx.price if fx else None
    if side == "buy":
        return buy_cost(price, quantity, rate, fee_bps=rules.fee_bps, spread_bps=rules.fx_spread_bps)
    tax = rules.sell_tax_bps if fx is None else 0  # the securities transaction tax is Korean only
    return sell_proceeds(
        price, quantity, rate, fee_bps=rules.fee_bps, tax_bps=tax, spread_bps=rules.fx_spread_bps
    )


def _step(order: Trade | TradePlace) -> int:
    return MICRO if order.limit_price is not None else 1  # limit orders trade whole shares


def _quantity(order: Trade | TradePlace, price: int, fx: Quote | None, rules: HouseRules, held: int) -> int:
    if order.amount is None or (order.side == "sell" and order.quantity):
        return order.quantity or 0
    rate = fx.price if fx else None
    if order.side == "buy":
        return quantity_for_amount(
            order.amount,
            price,
            rate,
            fee_bps=rules.fee_bps,
            spread_bps=rules.fx_spread_bps,
            step=_step(order),
        )
    return sell_quantity_for_amount(
        order.amount, price, rate, held, spread_bps=rules.fx_spread_bps, step=_step(order)
    )


def _portfolio_value(book: Book) -> int:
    fx = book.fx_quote()
    total = book.balance("cash") + book.balance("reserved")
    for p in book.positions():
        q = book.latest_quote(p.symbol)
        if q is None or (currency_of(p.symbol) == "USD" and fx is None):
            total += p.cost
        else:
            total += _cost(
                "sell", q.price, p.quantity, fx if currency_of(p.symbol) == "USD" else None, HouseRules()
            ).gross
    return total


def _execute(
    book: Book,
    order: Trade,
    quote: Quote,
    fx: Quote | None,
    rules: HouseRules,
    now: datetime,
    effects: Effects,
    *,
    released: int = 0,
) -> Trade:
    """Post the fill of ``order`` at ``quote``; returns the filled trade. Raises ``Rejected``.

    ``released`` is a queued order's reservation that ``effects`` already returns to cash (buy)
    or to the position (sell).
    """
    position = book.position(order.symbol)
    if rules.min_share_price and _share_price_krw(quote.price, fx) < rules.min_share_price:
        raise Rejected(Code.LIMIT_EXCEEDED, {"rule": "min_share_price", "minimum": rules.min_share_price})
    held = book.balance(position_account(order.symbol)) + (released if order.side == "sell" else 0)
    quantity = _quantity(order, quote.price, fx, rules, held)
    if quantity <= 0:
        raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_order})
    cost = _cost(order.side, quote.price, quantity, fx, rules)
    whole_position = order.side == "sell" and quantity == held  # a leftover fraction can always go
    if cost.gross < rules.min_order and not whole_position:
        raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_order, "value": cost.gross})
    sym, counter = order.symbol, f"market:{order.symbol}"
    if order.side == "buy":
        cash = book.balance("cash") + released
        if cost.total > cash:
            raise Rejected(Code.INSUFFICIENT_FUNDS, {"needed": cost.total, "cash": cash})
        if rules.max_position_pct < 100:
            after = _cost("sell", quote.price, position.quantity + quantity, fx, HouseRules()).gross
            if after * 100 > rules.max_position_pct * max(1, _portfolio_value(book)):
                raise Rejected(
                    Code.LIMIT_EXCEEDED, {"rule": "max_position_pct", "max": rules.max_position_pct}
                )
        effects.extend(move("cash", "market", cost.total) + move(counter, position_account(sym), quantity))
        new_position = Position(
            symbol=sym, quantity=position.quantity + quantity, cost=position.cost + cost.total
        )
        realised = 0
    else:
        if quantity > held:
            raise Rejected(Code.INSUFFICIENT_SHARES, {"held": held})
        basis = position.avg_cost_of(quantity)
        realised = cost.total - basis
        effects.extend(move(position_account(sym), counter, quantity) + move("market", "cash", cost.total))
        new_position = Position(symbol=sym, quantity=position.quantity - quantity, cost=position.cost - basis)
        stats = book.stats()
        effects.records.append(msgspec.structs.replace(stats, realised=stats.realised + realised))
    effects.records.append(new_position)
    return msgspec.structs.replace(
        order,
        status=TradeStatus.FILLED,
        quantity=quantity,
        fill_price=quote.price,
        fill_quote_id=quote.quote_id,
        fx_rate=fx.price if fx else None,
        fx_quote_id=fx.quote_id if fx else None,
        gross=cost.gross,
        fee=cost.fee,
        tax=cost.tax,
        total=cost.total,
        realised=realised,
        filled_at=now,
        reserved=0,
        practice=rules.fill_policy is FillPolicy.PRACTICE,
    )


class Reserve(msgspec.Struct, frozen=True):
    """A queued order in numbers: what it is worth at the price it was placed against, and what it
    holds until the open (the review restates both, so a larger hold never looks like a bug).

    ``quantity`` is micro-shares (for a buy by amount, the estimate at ``price``). ``value`` is the
    order at ``price`` with its fee and tax. ``worst_price`` is the highest price a buy may fill at
    (``price`` plus the collar, or the child's own limit), the lowest for a sell. ``held`` is won for
    a buy (its cost at ``worst_price``, or the amount typed) and micro-shares for a sell.
    """

    side: str
    quantity: int
    price: int
    value: FillCost
    worst_price: int
    held: int


def _worst_price(side: str, reference: int, limit_price: int | None, collar_bps: int) -> int:
    if limit_price is not None:
        return reference  # the child's own limit: it never fills past it
    if side == "buy":
        return div_floor(reference * (BPS + collar_bps), BPS)
    return div_ceil(reference * (BPS - collar_bps), BPS)


def queued_reserve(
    side: str,
    reference: int,
    *,
    quantity: int,
    amount: int | None,
    limit_price: int | None,
    fx: Quote | None,
    rules: HouseRules,
    held_shares: int = 0,
) -> Reserve:
    """What a queued order holds and why, by the rules ``place_order`` holds it with.

    ``quantity`` and ``amount`` are the order's (one of them set); ``held_shares`` is the position a
    sell comes out of. Validation (enough cash, enough shares, minimum order) is the caller's.
    """
    worst = _worst_price(side, reference, limit_price, rules.collar_bps)
    step = MICRO if limit_price is not None else 1
    if side == "buy":
        if amount is not None:
            rate = fx.price if fx else None
            shares = quantity_for_amount(
                amount, reference, rate, fee_bps=rules.fee_bps, spread_bps=rules.fx_spread_bps, step=step
            )
            value = _cost("buy", reference, shares, fx, rules)
            return Reserve(side, shares, reference, value, worst, held=amount)
        value = _cost("buy", reference, quantity, fx, rules)
        hold = _cost("buy", worst, quantity, fx, rules).total
        return Reserve(side, quantity, reference, value, worst, held=hold)
    if amount is not None and not quantity:
        rate = fx.price if fx else None
        quantity = sell_quantity_for_amount(
            amount, reference, rate, held_shares, spread_bps=rules.fx_spread_bps, step=step
        )
    value = _cost("sell", reference, quantity, fx, rules)
    return Reserve(side, quantity, reference, value, worst, held=quantity)


def _reserve(
    book: Book, order: Trade, reference: int, fx: Quote | None, rules: HouseRules, effects: Effects
) -> Trade:
    """Hold money (buy) or shares (sell) for a queued order. Raises ``Rejected``."""
    sym = order.symbol
    held = book.balance(position_account(sym))
    reserve = queued_reserve(
        order.side, reference, quantity=order.quantity, amount=order.amount,
        limit_price=order.limit_price, fx=fx, rules=rules, held_shares=held,
    )  # fmt: skip
    if order.side == "buy":
        cash = book.balance("cash")
        if reserve.held > cash:
            raise Rejected(Code.INSUFFICIENT_FUNDS, {"needed": reserve.held, "cash": cash})
        # refuse now what the open would refuse anyway, rather than hold the money overnight
        value = order.amount if order.amount is not None else reserve.value.gross
        if value < rules.min_order:
            raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_order})
        effects.extend(move("cash", "reserved", reserve.held))
        return msgspec.structs.replace(order, reserved=reserve.held)
    quantity = reserve.quantity
    if quantity <= 0 or quantity > held:
        raise Rejected(Code.INSUFFICIENT_SHARES, {"held": held})
    if reserve.value.gross < rules.min_order:
        raise Rejected(Code.ORDER_TOO_SMALL, {"minimum": rules.min_order})
    effects.extend(move(position_account(sym), reserved_shares_account(sym), quantity))
    return msgspec.structs.replace(order, quantity=quantity, reserved=quantity)


def _needs_approval(book: Book, order: Trade, reference: int, fx: Quote | None, rules: HouseRules) -> bool:
    """Whether ``order`` waits for a parent (``sync.approval``): its total is the order at
    ``reference`` with its fee and tax, as the review shows it; the filled trades are the book's."""
    mode = rules.trade_approval
    if mode is TradeApproval.OFF:
        return False
    total = filled = 0
    if mode is TradeApproval.ABOVE:
        total = queued_reserve(
            order.side, reference, quantity=order.quantity, amount=order.amount,
            limit_price=order.limit_price, fx=fx, rules=rules,
            held_shares=book.balance(position_account(order.symbol)),
        ).value.total  # fmt: skip
    if mode is TradeApproval.FIRST:
        filled = book.filled_trades()
    return needs_approval(rules, total, filled)


def place_order(book: Book, args: TradePlace, ctx: Context) -> Effects:
    """``trade.place``: validate, then fill, queue or reject the order."""
    if (args.quantity is None) == (args.amount is None):
        raise Rejected(Code.INVALID_ARGS, {"field": "quantity|amount"})
    if book.trade(args.trade_id) is not None:
        raise Rejected(Code.ID_TAKEN, {"field": "trade_id"})
    rules = book.rules()
    if market_of(args.symbol) not in rules.markets:
        raise Rejected(Code.MARKET_NOT_ALLOWED, {"market": market_of(args.symbol).value})
    if book.trading_ended(args.symbol):
        # its last price is stale for good: no fill at it, and no wait for an open that never comes
        raise Rejected(Code.SYMBOL_ENDED, {"symbol": args.symbol})
    if args.limit_price is not None:
        if not rules.limit_orders:
            raise Rejected(Code.LIMIT_EXCEEDED, {"rule": "limit_orders"})
        if args.quantity is None or args.quantity % MICRO:
            raise Rejected(Code.INVALID_ARGS, {"field": "quantity", "why": "whole_shares"})
    if book.trades_on_day(kst_day(ctx.now)) >= rules.trades_per_day:
        raise Rejected(Code.LIMIT_EXCEEDED, {"rule": "trades_per_day", "max": rules.trades_per_day})
    require_journal(rules, args.journal)
    cited = book.quote(args.quote_id) if args.quote_id else None
    latest = book.latest_quote(args.symbol)
    if args.quote_id and cited is None:
        raise Rejected(Code.QUOTE_UNKNOWN, quote_detail(latest))
    fx = _fx(book, args.symbol)
    decision = decide_fill(
        side=args.side,
        symbol=args.symbol,
        cited=cited,
        cited_price=args.price,
        limit_price=args.limit_price,
        latest=latest,
        newest_served=book.newest_served_quote(args.symbol),
        market_open=book.market_open(market_of(args.symbol)),
        now=ctx.now,
        rules=rules,
    )
    order = Trade(
        trade_id=args.trade_id,
        child_id=book.child_id,
        side=args.side,
        symbol=args.symbol,
        status=TradeStatus.QUEUED,
        policy=rules.fill_policy.value,
        created_at=ctx.now,
        quantity=args.quantity or 0,
        amount=args.amount,
        limit_price=args.limit_price,
        cited_quote_id=cited.quote_id if cited else None,
        cited_price=cited.price if cited else None,
        journal=journal_of(args.journal),
    )
    effects = Effects(at=ctx.now)
    # the price the order is measured against: what it would fill at now, or wait for
    reference = decision.reference_price if isinstance(decision, Queue) else decision.quote.price
    reference = args.limit_price or reference
    if _needs_approval(book, order, reference, fx, rules):
        # held like a queued order until a parent decides (``decide_trade``)
        order = msgspec.structs.replace(order, status=TradeStatus.AWAITING, reference_price=reference)
        order = _reserve(book, order, reference, fx, rules, effects)
        effects.records.append(order)
        effects.events.append(("TradeApprovalRequested", {"trade_id": order.trade_id}))
        effects.detail = {"awaiting": "parent"}
        return effects
    if isinstance(decision, Queue):
        order = msgspec.structs.replace(order, reference_price=decision.reference_price)
        order = _reserve(book, order, decision.reference_price, fx, rules, effects)
        effects.records.append(order)
        effects.events.append(("OrderQueued", {"trade_id": order.trade_id, "reason": decision.reason}))
        effects.detail = {"queued": decision.reason}
        return effects
    assert isinstance(decision, Fill)
    filled = _execute(book, order, decision.quote, fx, rules, ctx.now, effects)
    effects.records.append(filled)
    effects.adjusted = decision.adjusted
    effects.detail = {"fill_price": filled.fill_price, "quote_id": filled.fill_quote_id}
    if decision.adjusted and cited is not None:
        effects.detail["cited_price"] = cited.price
    effects.events.append(
        ("TradeAdjusted" if decision.adjusted else "TradeExecuted", {"trade_id": filled.trade_id})
    )
    return effects


def _release(order: Trade) -> list[Entry]:
    if order.side == "buy":
        return move("reserved", "cash", order.reserved)
    return move(reserved_shares_account(order.symbol), position_account(order.symbol), order.reserved)


def cancel_order(book: Book, args: TradeCancel, ctx: Context) -> Effects:
    """``trade.cancel``: a queued order, or one waiting for a parent, is cancelled and its
    reservation released."""
    order = book.trade(args.trade_id)
    if order is None:
        raise Rejected(Code.NOT_FOUND)
    if order.status not in HOLDING:
        raise Rejected(Code.ALREADY_DECIDED, {"status": order.status.value})
    effects = Effects(at=ctx.now, entries=_release(order))
    effects.records.append(
        msgspec.structs.replace(order, status=TradeStatus.CANCELLED, reserved=0, filled_at=ctx.now)
    )
    return effects


def fill_queued(book: Book, trade_id: str, open_quote: Quote, now: datetime) -> Effects:
    """A queued order meets the session's opening price: fill within the collar, or reject and release.

    Returns effects either way (a rejected queued order is a recorded outcome with its code in
    ``detail``); raises ``Rejected(NOT_FOUND)`` when there is nothing queued under ``trade_id``.
    """
    order = book.trade(trade_id)
    if order is None or order.status is not TradeStatus.QUEUED:
        raise Rejected(Code.NOT_FOUND)
    return _meet(book, order, open_quote, now)


def _meet(book: Book, order: Trade, open_quote: Quote, now: datetime) -> Effects:
    """``order``, holding its reservation, meets ``open_quote``: released, then filled within the
    collar (or its limit) or rejected with its code in ``detail``."""
    trade_id = order.trade_id
    rules = book.rules()
    effects = Effects(at=now, entries=_release(order))
    released = msgspec.structs.replace(order, reserved=0)
    if order.limit_price is not None:
        ok = limit_ok(order.side, open_quote.price, order.limit_price)
    else:
        reference = order.reference_price or order.cited_price
        ok = reference is None or collar_ok(order.side, reference, open_quote.price, rules.collar_bps)
    try:
        if not ok:
            raise Rejected(Code.PRICE_MOVED, quote_detail(open_quote))
        fx = _fx(book, order.symbol)
        filled = _execute(book, released, open_quote, fx, rules, now, effects, released=order.reserved)
    except Rejected as rejected:
        effects.records.append(
            msgspec.structs.replace(
                released, status=TradeStatus.REJECTED, filled_at=now, note=rejected.code.value
            )
        )
        effects.detail = {"code": rejected.code.value, **rejected.detail}
        effects.events.append(("TradeRejected", {"trade_id": trade_id, "code": rejected.code.value}))
        return effects
    effects.records.append(filled)
    effects.events.append(("TradeExecuted", {"trade_id": trade_id}))
    return effects


def decide_trade(book: Book, args: TradeDecide, ctx: Context) -> Effects:
    """``trade.decide``: a parent approves or declines an order waiting for approval.

    Declining (a reason is required: the child reads it) cancels the order and releases what it
    held. Approving follows the fill rules in force now: where the order would fill now (its market
    open under the ``quote`` policy, or ``practice``) it meets the current quote like a queued order
    meets the open (within the collar or its limit; else rejected and released; a limit not reached
    waits); otherwise it becomes a queued order that meets the next open after the approval.
    """
    order = book.trade(args.trade_id)
    if order is None:
        raise Rejected(Code.NOT_FOUND)
    if order.status is not TradeStatus.AWAITING:
        raise Rejected(Code.ALREADY_DECIDED, {"status": order.status.value, "by": order.decided_by})
    me = ctx.actor.user_id
    if args.decision == "decline":
        if not args.reason:
            raise Rejected(Code.INVALID_ARGS, {"field": "reason"})
        effects = Effects(at=ctx.now, entries=_release(order))
        declined = msgspec.structs.replace(
            order,
            status=TradeStatus.CANCELLED,
            reserved=0,
            filled_at=ctx.now,
            note="declined",
            decided_by=me,
            decision_reason=args.reason,
        )
        effects.records.append(declined)
        effects.events.append(("TradeDeclined", {"trade_id": order.trade_id, "reason": args.reason}))
        effects.detail = {"declined": True}
        return effects
    approved = msgspec.structs.replace(order, decided_by=me, decision_reason=args.reason)
    rules = book.rules()
    latest = book.latest_quote(order.symbol)
    practice = rules.fill_policy is FillPolicy.PRACTICE
    if not practice and rules.fill_policy is FillPolicy.NEXT_OPEN:
        waits = "next_open_policy"
    elif not practice and not book.market_open(market_of(order.symbol)):
        waits = "market_closed"
    elif latest is None:
        waits = "market_closed"  # no price to meet yet: the open will bring one
    elif not practice and not limit_ok(order.side, latest.price, order.limit_price):
        waits = "limit_not_reached"
    else:
        effects = _meet(book, approved, latest, ctx.now)
        effects.detail["approved"] = True
        return effects
    queued = msgspec.structs.replace(approved, status=TradeStatus.QUEUED, queued_at=ctx.now)
    effects = Effects(at=ctx.now, records=[queued])
    effects.events.append(("OrderQueued", {"trade_id": order.trade_id, "reason": waits}))
    effects.detail = {"approved": True, "queued": waits}
    return effects


def pay_dividend(
    book: Book, symbol: str, per_share: int, fx: Quote | None, now: datetime, ref: str
) -> Effects:
    """A cash dividend (``per_share`` in the symbol's currency) credited on the pay date; realised profit."""
    if currency_of(symbol) == "USD" and fx is None:
        raise ValueError("a dollar dividend needs an FX quote")  # else micro-dollars would be paid as won
    position = book.position(symbol)
    amount = _cost("sell", per_share, position.quantity, fx, HouseRules()).gross
    effects = Effects(at=now, entries=move("market", "cash", amount))
    stats = book.stats()
    effects.records.append(msgspec.structs.replace(stats, realised=stats.realised + amount))
    effects.events.append(("DividendPaid", {"symbol": symbol, "amount": amount, "ref": ref}))
    return effects


def _cancel_queued(
    book: Book, symbol: str, queued: Iterable[Trade], now: datetime, reason: str, caller: str
) -> Effects:
    """Cancel the queued orders of ``symbol`` among ``queued`` (``reason`` on each), their reservations
    released; every queued sell holding shares of ``symbol`` must be among them (``ValueError``),
    else the position left behind would not match what is still reserved."""
    effects = Effects(at=now)
    released = 0
    for order in queued:
        if order.symbol != symbol or order.status not in HOLDING:
            continue
        effects.extend(_release(order))
        released += order.reserved if order.side == "sell" else 0
        effects.records.append(
            msgspec.structs.replace(
                order, status=TradeStatus.CANCELLED, reserved=0, filled_at=now, note=reason
            )
        )
        effects.events.append(("OrderCancelled", {"trade_id": order.trade_id, "reason": reason}))
    if book.balance(reserved_shares_account(symbol)) != released:
        raise ValueError(f"queued sells of {symbol} must be passed to {caller}")
    return effects


def apply_split(
    book: Book, symbol: str, numerator: int, denominator: int, now: datetime, *, queued: Iterable[Trade] = ()
) -> Effects:
    """A split (``numerator`` new shares for ``denominator`` old): quantity changes, total cost does not.

    Queued orders of ``symbol`` carry pre-split quantities and prices, so the split cancels the ones
    passed in ``queued`` and releases their reservations first. Raises ``ValueError`` when shares
    stay reserved by queued sells that were not passed (they would no longer match the position).
    """
    effects = _cancel_queued(book, symbol, queued, now, "split", "apply_split")
    position = book.position(symbol)
    new_quantity = position.quantity * numerator // denominator
    delta = new_quantity - position.quantity
    effects.extend(
        move(f"market:{symbol}", position_account(symbol), delta)
        if delta >= 0
        else move(position_account(symbol), f"market:{symbol}", -delta)
    )
    effects.records.append(msgspec.structs.replace(position, quantity=new_quantity))
    effects.events.append(("SplitApplied", {"symbol": symbol, "ratio": f"{numerator}:{denominator}"}))
    return effects


def open_account(child_id: str, rules: HouseRules, now: datetime) -> Effects:
    """A new child's game account: the starting money arrives from ``grants``."""
    effects = Effects(at=now, entries=move("grants", "cash", rules.starting_money))
    effects.records.append(Stats(child_id=child_id, invested=rules.starting_money))
    effects.records.append(rules)
    return effects


def settle_delisting(
    book: Book,
    symbol: str,
    last_price: int,
    fx: Quote | None,
    now: datetime,
    ref: str,
    *,
    queued: Iterable[Trade] = (),
    reason: str = "delisted",
) -> Effects:
    """A delisted stock (or one whose bundled history ends) is settled at its ``last_price`` (in the
    symbol's currency): the whole position leaves for cash at that price, rounded down, with no fee and
    no tax (nobody traded: the server settles it), and the difference to its cost basis is realised.

    The queued orders passed in ``queued`` are cancelled and release their reservations first (a queued
    buy could never fill, a queued sell's shares are settled with the rest). Raises ``ValueError`` for
    a dollar stock without an FX quote, a price that is not positive, or shares still reserved by queued
    sells that were not passed. ``reason`` is each cancelled order's (``delisted``, or ``data_end`` where
    our bundled history ends: the child is told which).
    """
    if last_price <= 0:
        raise ValueError("a settlement price is positive")
    if currency_of(symbol) == "USD" and fx is None:
        raise ValueError("a dollar settlement needs an FX quote")  # else micro-dollars would be paid as won
    effects = _cancel_queued(book, symbol, queued, now, reason, "settle_delisting")
    position = book.position(symbol)
    amount = _cost("sell", last_price, position.quantity, fx, HouseRules()).gross if position.quantity else 0
    if position.quantity:
        effects.extend(
            move(position_account(symbol), f"market:{symbol}", position.quantity)
            + move("market", "cash", amount)
        )
        effects.records.append(Position(symbol=symbol))
        stats = book.stats()
        realised = amount - position.cost
        effects.records.append(msgspec.structs.replace(stats, realised=stats.realised + realised))
        effects.events.append(
            (
                "StockDelisted",
                {
                    "symbol": symbol,
                    "shares": position.quantity,
                    "price": last_price,
                    "amount": amount,
                    "realised": realised,
                    "ref": ref,
                },
            )
        )
    return effects
