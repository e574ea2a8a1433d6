"""The trade ticket: by quantity or by amount, fees and FX shown, a confirmation step, then the
predicted outcome marked "waiting for confirmation" until the server answers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.market import currency_of, market_of
from sync.money import MICRO

from .base import Tools
from .child import ChildScreen
from .errors import code_of, explain
from .market_hours import next_open
from .predict import Prediction, predict_order

__all__ = ["TradeVM", "parse_quantity"]

OrderBuilder = Callable[..., tuple[str, dict[str, Any]]]


def parse_quantity(text: str) -> int | None:
    """Shares as typed ("3", "1.5") → micro-shares; None for anything else."""
    try:
        shares = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    micro = shares * MICRO
    if not shares.is_finite() or shares <= 0 or micro != micro.to_integral_value():
        return None
    return int(micro)


def parse_amount(text: str) -> int | None:
    digits = text.strip().replace(",", "")
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


def parse_price(text: str, currency: str) -> int | None:
    """A price as typed ("71,000" won, "230.50" dollars) → won or micro-dollars; None otherwise."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    minor = value * (MICRO if currency == "USD" else 1)
    if not value.is_finite() or value <= 0 or minor != minor.to_integral_value():
        return None
    return int(minor)


def _default_builder() -> OrderBuilder:
    from client.actions import place_order  # the core's builder: fresh UUIDv7 trade ids

    return place_order


class TradeVM(ChildScreen):
    """stage: edit → confirm → sent."""

    def __init__(self, profile: Any, tools: Tools, symbol: str, *, build: OrderBuilder | None = None) -> None:
        self.symbol, self.side, self.by, self.text = symbol, "buy", "quantity", ""
        self.limit_text = ""  # the child's own price (house rules with limit orders only)
        self.stage = "edit"
        self.sent: Any = None
        self.sent_args: dict[str, Any] | None = None
        self._build = build
        super().__init__(profile, tools)

    # -- inputs ---------------------------------------------------------------------------
    def set_side(self, side: str) -> None:
        self.side, self.stage = side, "edit"
        self._update()

    def set_by(self, by: str) -> None:
        self.by, self.text, self.stage = by, "", "edit"
        self._update()

    def set_text(self, text: str) -> None:
        self.text, self.stage = text, "edit"
        self._update()

    def set_limit(self, text: str) -> None:
        self.limit_text, self.stage = text, "edit"
        self._update()

    def _update(self) -> None:
        self.refresh()
        self.changed()

    # -- derived --------------------------------------------------------------------------
    def refresh(self) -> None:
        super().refresh()
        if self.stage in ("confirm", "sent"):  # keep the order the child is confirming (and its ids)
            return
        tr, fmt = self.tools.tr, self.tools.fmt
        self.quote_ = self.quote(self.symbol)
        self.price = fmt.price(self.symbol, self.quote_.price) if self.quote_ else tr("stock.no_price")
        self.held = self.book.position(self.symbol).quantity
        self.cash = fmt.game(self.book.balance("cash"))
        self.input_label = (
            tr("trade.by_quantity_label") if self.by == "quantity" else tr("trade.by_amount_label")
        )
        self.args: dict[str, Any] | None = None
        self.name: str | None = None
        self.prediction: Prediction | None = None
        self.lines: list[str] = []
        self.message: str | None = None
        self.can_review = False
        self.limits_allowed = self.book.rules().limit_orders
        if self.quote_ is None:
            self.message = tr("stock.no_price")
            return
        if not self.text.strip():
            return
        value = parse_quantity(self.text) if self.by == "quantity" else parse_amount(self.text)
        if value is None:
            self.message = tr("trade.bad_number")
            return
        build = self._build or _default_builder()
        kwargs: dict[str, Any] = {"quantity": value} if self.by == "quantity" else {"amount": value}
        if self.limits_allowed and self.limit_text.strip():
            limit = parse_price(self.limit_text, currency_of(self.symbol))
            if limit is None:
                self.message = tr("trade.bad_limit")
                return
            if self.by == "amount" or value % MICRO:  # the shared rules: limit orders trade whole shares
                self.message = tr("trade.limit_whole_shares")
                return
            kwargs["limit_price"] = limit
        self.name, self.args = build(self.symbol, self.side, quote=self.quote_, **kwargs)
        self.prediction = predict_order(
            self.book, self.name, self.args, family_id=self.me.family_id, now=self.server_now()
        )
        self.lines, self.message = self._explain(self.prediction)
        self.can_review = self.prediction.status != "rejected"

    def _explain(self, p: Prediction) -> tuple[list[str], str | None]:
        tr, fmt = self.tools.tr, self.tools.fmt
        if p.status == "rejected":
            return [], explain(tr, p.code)
        t = p.trade
        assert t is not None
        if p.status == "queued":
            when = fmt.when(next_open(market_of(self.symbol), self.server_now()), self.tools.clock())
            held = fmt.shares(t.reserved) if t.side == "sell" else fmt.game(t.reserved)
            limit = (self.args or {}).get("limit_price")
            first = (
                tr(f"trade.limit_waits_{t.side}", price=fmt.price(self.symbol, limit))
                if limit is not None
                else tr("trade.queued", when=when)
            )
            lines = [first, tr("trade.reserved", amount=held)]
            fx = self.book.fx_quote()
            if currency_of(self.symbol) == "USD" and fx is not None:  # the rate may change by the fill
                lines.append(tr("trade.fx_line", rate=fmt.fx(fx.price)))
            return lines, None
        assert t.fill_price is not None
        lines = [
            tr("trade.fill_line", shares=fmt.shares(t.quantity), price=fmt.price(self.symbol, t.fill_price))
        ]
        if currency_of(self.symbol) == "USD" and t.fx_rate:
            lines.append(tr("trade.fx_line", rate=fmt.fx(t.fx_rate)))
        lines.append(tr("trade.fee_line", fee=fmt.game(t.fee)))
        if t.tax:
            lines.append(tr("trade.tax_line", tax=fmt.game(t.tax)))
        key = "trade.total_buy" if t.side == "buy" else "trade.total_sell"
        lines.append(tr(key, total=fmt.game(t.total)))
        return lines, None

    # -- commands -------------------------------------------------------------------------
    def review(self) -> None:
        if self.can_review:
            self.stage = "confirm"
            self.changed()

    def back_to_edit(self) -> None:
        self.stage = "edit"
        self._update()

    async def confirm(self) -> None:
        """Record the order locally (works offline); the server's answer arrives through sync."""
        if self.stage != "confirm" or self.args is None or self.name is None:
            return
        name, args = self.name, self.args
        self.busy, self.error = True, None
        self.changed()
        try:
            self.sent = await self.profile.act(name, args)
            self.sent_args = args
        except Exception as exc:  # the local store refused: nothing was recorded
            self.error = explain(self.tools.tr, code_of(exc))
        else:
            self.stage = "sent"
            self.refresh()
        finally:
            self.busy = False
        self.changed()

    @property
    def sent_status(self) -> str:
        """After sending: waiting, or what the server decided (found in the synced book)."""
        tr = self.tools.tr
        if self.sent_args is None or self.stage != "sent":
            return ""
        trade_id = self.sent_args.get("trade_id")
        if trade_id in self.pending_trade_ids():
            return tr("trade.waiting")
        for o in self.view.outcomes:
            if o.args.get("trade_id") == trade_id and o.status == "rejected":
                return tr("trade.rejected", reason=explain(tr, o.code))
        trade = self.book.trade(trade_id) if trade_id else None
        if trade is None:
            return tr("trade.waiting")
        return tr(f"trade.status.{trade.status}")
