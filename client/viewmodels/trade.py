"""The trade ticket: by quantity or by amount, fees and FX shown, a confirmation step, then the
predicted outcome marked "waiting for confirmation" until the server answers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.errors import Code
from sync.journal import journal_of
from sync.market import currency_of, market_of
from sync.money import MICRO, parse_micro_shares, shown_micro_shares
from sync.records import Trade
from sync.rules import FillPolicy
from sync.search import SymbolIndex
from sync.trading import Reserve

from .base import Profile, Tools
from .child import ChildScreen
from .errors import code_of, explain
from .glossary import Gloss, about_fx, about_trade_cost
from .market import entry_name
from .market_hours import market_time, next_open
from .predict import Prediction, predict_order
from .stock import known_ended

__all__ = ["TradeVM", "parse_quantity"]

OrderBuilder = Callable[..., tuple[str, dict[str, Any]]]


def parse_quantity(text: str) -> int | None:
    """Shares as typed ("3", "1.5") → micro-shares; None for anything else."""
    micro = parse_micro_shares(text)
    return micro if micro is not None and micro > 0 else None


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

    lines: list[str]  # the order restated: predicted, then (once the server filled it) the fill
    line_glosses: dict[int, Gloss]

    def __init__(
        self, profile: Profile, tools: Tools, symbol: str, *, side: str = "buy",
        build: OrderBuilder | None = None, index: SymbolIndex | None = None,
    ) -> None:  # fmt: skip
        self.symbol, self.by, self.text = symbol, "quantity", ""
        self.side = "sell" if side == "sell" else "buy"
        self.entry = index.get(symbol) if index is not None else None
        self.limit_text = ""  # the child's own price (house rules with limit orders only)
        self.journal = ""  # the child's one sentence on why (the trade journal; sync.journal)
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

    def set_journal(self, text: str) -> None:
        self.journal, self.stage = text, "edit"
        self._update()

    def _update(self) -> None:
        self.refresh()
        self.changed()

    # -- derived --------------------------------------------------------------------------
    @property
    def title(self) -> str:
        """ "Buy Samsung Electronics" / "삼성전자 팔기", in the current language."""
        name = entry_name(self.entry, self.tools.tr.locale) if self.entry else self.symbol
        return self.tools.tr(f"trade.title_{self.side}", name=name)

    @property
    def journal_label(self) -> str:
        return self.tools.tr(f"trade.journal_label_{self.side}")

    @property
    def journal_hint(self) -> str:
        """Whether the sentence may be skipped, in the house rules' words (they may ask for it)."""
        required = self.book.rules().journal_required
        return self.tools.tr("trade.journal_required" if required else "trade.journal_optional")

    @property
    def journal_line(self) -> str | None:
        """The sentence as it goes with the order, restated on the review ("내가 적은 이유: …")."""
        text = journal_of(self.journal)
        return self.tools.tr("trade.journal_line", text=text) if text else None

    def refresh(self) -> None:
        super().refresh()
        tr, fmt = self.tools.tr, self.tools.fmt
        # what the book holds now, in every stage: the same local numbers as every other screen
        # (kept from before the order, the ticket disagreed with home until the child typed again)
        self.held = self.book.position(self.symbol).quantity
        self.cash = fmt.game(self.book.balance("cash"))
        if self.stage in ("confirm", "sent"):  # keep the order the child is confirming (and its ids)
            if (filled := self._answered_fill()) is not None:  # the server's fill replaces the guess
                self.line_glosses = {}
                self.lines = self._fill_lines(filled, about=False)
            return
        self.quote_ = self.quote(self.symbol)
        fx = self.book.fx_quote()
        self.price = (
            fmt.price(self.symbol, self.quote_.price, fx.price if fx else None)
            if self.quote_
            else tr("stock.no_price")
        )
        self.input_label = (
            tr("trade.by_quantity_label") if self.by == "quantity" else tr("trade.by_amount_label")
        )
        self.args: dict[str, Any] | None = None
        self.name: str | None = None
        self.prediction: Prediction | None = None
        self.lines = []
        self.line_glosses = {}
        self.message: str | None = None
        self.can_review = False
        self.limits_allowed = self.book.rules().limit_orders
        if known_ended(self.profile, self.view, self.symbol) is not None:
            # the server would refuse it (SYMBOL_ENDED): say so in its words before the child types
            self.message = explain(tr, Code.SYMBOL_ENDED)
            return
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
        if journal_of(self.journal):
            kwargs["journal"] = self.journal
        if self.limits_allowed and self.limit_text.strip():
            limit = parse_price(self.limit_text, currency_of(self.symbol))
            if limit is None:
                self.message = tr("trade.bad_limit")
                return
            if self.by == "amount" or value % MICRO:  # the shared rules: limit orders trade whole shares
                self.message = tr("trade.limit_whole_shares")
                return
            kwargs["limit_price"] = limit
        elif self.side == "sell" and self.by == "quantity" and value == shown_micro_shares(self.held):
            # the holding as it is shown (48.6019 for 48.601899 held): the display rounds, the order
            # must not, so typing what the screen says sells exactly what is held
            value = kwargs["quantity"] = self.held
        self.name, self.args = build(self.symbol, self.side, quote=self.quote_, **kwargs)
        self.prediction = predict_order(
            self.book, self.name, self.args, family_id=self.me.family_id, now=self.server_now()
        )
        self.lines, self.message = self._explain(self.prediction)
        self.can_review = self.prediction.status != "rejected"

    def _explain(self, p: Prediction) -> tuple[list[str], str | None]:
        tr = self.tools.tr
        self.line_glosses = {}  # line index → the word on it explained with this order's numbers
        if p.status == "rejected":
            return [], explain(tr, p.code)
        t = p.trade
        assert t is not None
        if p.status == "queued":
            assert p.reserve is not None
            return self._explain_queued(t, p.reserve), None
        if p.status == "awaiting":
            assert p.reserve is not None
            return self._explain_awaiting(t, p.reserve), None
        # by amount, how many shares depends on the price when the order arrives: an estimate
        return self._fill_lines(t, about=t.amount is not None), None

    def _fill_lines(self, t: Trade, *, about: bool) -> list[str]:
        """A fill restated (predicted, or the server's): shares × price, FX, fee, tax, total."""
        tr, fmt = self.tools.tr, self.tools.fmt
        assert t.fill_price is not None
        shares, price = fmt.shares(t.quantity), fmt.price(self.symbol, t.fill_price)
        lines = [tr("trade.estimate_about" if about else "trade.fill_line", shares=shares, price=price)]
        if currency_of(self.symbol) == "USD" and t.fx_rate:
            self.line_glosses[len(lines)] = about_fx(self.tools, t.fx_rate, t.fill_price)
            lines.append(tr("trade.fx_line", rate=fmt.fx(t.fx_rate)))
        self.line_glosses[len(lines)] = about_trade_cost(self.tools, "fee", t)
        lines.append(tr("trade.fee_line", fee=fmt.game(t.fee)))
        if t.tax:
            self.line_glosses[len(lines)] = about_trade_cost(self.tools, "tax", t)
            lines.append(tr("trade.tax_line", tax=fmt.game(t.tax)))
        key = "trade.total_buy" if t.side == "buy" else "trade.total_sell"
        lines.append(tr(key, total=fmt.game(t.total)))
        return lines

    def _explain_queued(self, t: Trade, r: Reserve) -> list[str]:
        """A queued order restated: when, how many at which price, fees, tax, FX, the estimated total,
        and what is held until the open and why (numbers from ``sync.trading.queued_reserve``)."""
        tr, fmt, sym = self.tools.tr, self.tools.fmt, self.symbol
        market = market_of(sym)
        when = market_time(self.tools, market, next_open(market, self.server_now()), self.tools.clock())
        limited = t.limit_price is not None
        lines = [
            tr(f"trade.limit_waits_{t.side}", price=fmt.price(sym, t.limit_price))
            if t.limit_price is not None
            else tr("trade.queued", when=when)
        ]
        shares, price = fmt.shares(r.quantity), fmt.price(sym, r.price)
        estimate = "trade.estimate_limit" if limited else "trade.estimate_now"
        if t.amount is not None:  # by amount, the open's price decides how many shares (buy or sell)
            estimate = "trade.estimate_about"
        lines.append(tr(estimate, shares=shares, price=price))
        fx = self.book.fx_quote()
        if currency_of(sym) == "USD" and fx is not None:  # the rate may change by the fill
            self.line_glosses[len(lines)] = about_fx(self.tools, fx.price, self._usd_price())
            lines.append(tr("trade.fx_may_move", rate=fmt.fx(fx.price)))
        lines.append(tr("trade.fee_estimate", fee=fmt.game(r.value.fee)))
        if r.value.tax:
            lines.append(tr("trade.tax_estimate", tax=fmt.game(r.value.tax)))
        lines.append(tr(f"trade.total_{t.side}_estimate", total=fmt.game(r.value.total)))
        worst = fmt.price(sym, r.worst_price)
        if t.side == "sell":
            lines.append(tr("trade.reserved", amount=shares))
            if not limited:
                lines.append(tr("trade.cancel_below", worst=worst))
            return lines
        if t.amount is not None:
            lines += [tr("trade.held_amount", held=fmt.game(r.held)), tr("trade.held_why_amount")]
        else:
            lines.append(tr("trade.held_for", held=fmt.game(r.held), value=fmt.game(r.value.gross)))
            why = "trade.held_why_limit" if limited else "trade.held_why_collar"
            pct = fmt.bps(self.book.rules().collar_bps)
            lines.append(tr(why, pct=pct, shares=shares, worst=worst))
        if not limited:
            lines.append(tr("trade.cancel_above", worst=worst))
        return lines

    def _explain_awaiting(self, t: Trade, r: Reserve) -> list[str]:
        """An order that waits for a parent (house rule ``trade_approval``), said before it is sent:
        which rule, what a yes does when the market is open and when it is closed (the fill rules of
        that moment, ``sync.trading.decide_trade``), what a no does; then the queued order's numbers."""
        tr, fmt = self.tools.tr, self.tools.fmt
        rules = self.book.rules()
        mode = rules.trade_approval.value
        lines = [
            tr(
                f"trade.awaiting.{mode}",
                amount=fmt.game(rules.approval_above),
                count=str(rules.approval_first),
            )
        ]
        if rules.fill_policy is FillPolicy.PRACTICE:
            lines.append(tr("trade.awaiting.practice"))
        elif rules.fill_policy is FillPolicy.NEXT_OPEN:
            lines.append(tr("trade.awaiting.next_open"))
        else:
            lines += [tr("trade.awaiting.open"), tr("trade.awaiting.closed")]
        lines.append(tr("trade.awaiting.declined"))
        # the numbers of a queued order, without its "placed at the open" line: it waits for a parent
        numbers = self._explain_queued(t, r)[1:]
        if t.limit_price is None:  # its last line is the collar at the open; here: at the approval too
            worst = fmt.price(self.symbol, r.worst_price)
            numbers[-1] = tr(f"trade.awaiting.cancel_{t.side}", worst=worst)
        return lines + numbers

    def _answered_fill(self) -> Trade | None:
        """The sent order as the server filled it, once it has answered (else None)."""
        trade_id = (self.sent_args or {}).get("trade_id")
        if self.stage != "sent" or not trade_id or trade_id in self.pending_trade_ids():
            return None
        trade = self.book.trade(trade_id)
        return trade if trade is not None and trade.status == "filled" and trade.fill_price else None

    def _usd_price(self) -> int | None:
        return self.quote_.price if self.quote_ is not None else None

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
        if trade.note == "declined":  # a parent said no (the history shows the reason)
            return tr("trade.status.declined")
        return tr(f"trade.status.{trade.status}")
