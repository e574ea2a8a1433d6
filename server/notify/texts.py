"""What each event says to whom: recipients per event and the wording per role and locale.

Children read child-friendly sentences ("주문이 체결됐어요" / "Your order went through!"); parents read
plain ones that name the child. Pure: the dispatcher passes in the facts it looked up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOCALES", "Audience", "compose", "recipients_for"]

LOCALES = ("ko", "en")


@dataclass(frozen=True)
class Audience:
    """Who hears an event: the child it is about and/or the family's parents (never the acting parent)."""

    child: bool
    parents: bool


# Trades, dividends and splits are the child's own business: its parents see them in the pull and
# the history, an inbox entry per trade would only be noise. ``TradeRejected`` is a queued order
# rejected at the open; a trade rejected when pushed writes no effects and so no event: the child is
# looking at the answer (online) or learns it from the pull's results (offline), and a notification
# would repeat it. Requests concern both sides; the parent
# who acted is left out (it knows what it just did), the other parent hears about it.
_AUDIENCE: dict[str, Audience] = {
    "TradeExecuted": Audience(child=True, parents=False),
    "TradeAdjusted": Audience(child=True, parents=False),
    "TradeRejected": Audience(child=True, parents=False),
    "OrderQueued": Audience(child=True, parents=False),
    "OrderCancelled": Audience(child=True, parents=False),
    "DividendPaid": Audience(child=True, parents=False),
    "SplitApplied": Audience(child=True, parents=False),
    "AllowanceRequested": Audience(child=False, parents=True),
    "AllowanceApprovalNeeded": Audience(child=False, parents=True),
    "AllowanceApproved": Audience(child=True, parents=True),
    "AllowanceRejected": Audience(child=True, parents=True),
    "AllowancePaid": Audience(child=True, parents=True),
}

Text = tuple[str, str]  # (title, body), str.format templates over the event's facts
_CHILD: dict[str, dict[str, Text]] = {
    "TradeExecuted": {
        "ko": ("주문이 체결됐어요", "{symbol} 주문이 체결됐어요. 내 주식을 확인해 보세요!"),
        "en": ("Your order went through!", "Your {symbol} order was filled. Have a look at your stocks!"),
    },
    "TradeAdjusted": {
        "ko": ("주문이 체결됐어요", "가격이 조금 바뀌어서 {symbol} 주문이 새 가격으로 체결됐어요."),
        "en": (
            "Your order went through!",
            "The price moved a little, so your {symbol} order used the newest price.",
        ),
    },
    "TradeRejected": {
        "ko": ("주문이 체결되지 않았어요", "{symbol} 주문이 체결되지 않았어요. 돈은 그대로 돌려받았어요."),
        "en": ("Your order didn't go through", "Your {symbol} order didn't go through. Your money is back."),
    },
    "OrderQueued": {
        "ko": ("주문을 기다리고 있어요", "시장이 열리면 {symbol} 주문을 처리할게요."),
        "en": ("Your order is waiting", "We'll place your {symbol} order when the market opens."),
    },
    "OrderCancelled": {
        "ko": ("주문이 취소됐어요", "{symbol} 주문이 취소됐어요. 돈은 그대로 돌려받았어요."),
        "en": ("Your order was cancelled", "Your {symbol} order was cancelled. Your money is back."),
    },
    "DividendPaid": {
        "ko": ("배당금을 받았어요!", "{symbol} 회사가 배당금 {amount}원을 줬어요."),
        "en": ("You got a dividend!", "{symbol} shared {amount} won of its profit with you."),
    },
    "SplitApplied": {
        "ko": ("주식이 나뉘었어요", "{symbol} 주식이 {ratio}로 나뉘었어요. 가진 가치는 그대로예요."),
        "en": ("Your shares were split", "{symbol} split {ratio}. What you own is worth the same."),
    },
    "AllowanceApproved": {
        "ko": ("용돈 요청이 승인됐어요!", "{amount}원을 받게 돼요."),
        "en": ("Your request was approved!", "You'll get {amount} won."),
    },
    "AllowanceRejected": {
        "ko": ("이번에는 용돈 요청이 안 됐어요", "이유: {reason}"),
        "en": ("Your request wasn't approved this time", "Why: {reason}"),
    },
    "AllowancePaid": {
        "ko": ("용돈을 받았어요!", "{amount}원을 받았어요."),
        "en": ("Your pocket money is here!", "You got {amount} won."),
    },
}
_PARENT: dict[str, dict[str, Text]] = {
    "AllowanceRequested": {
        "ko": ("용돈 요청이 왔습니다", "{child}의 {amount}원 요청이 승인을 기다립니다."),
        "en": ("A pocket-money request", "{child} asks for {amount} won; it is waiting for your approval."),
    },
    "AllowanceApprovalNeeded": {
        "ko": ("승인이 더 필요합니다", "{child}의 {amount}원 요청: {awaiting}"),
        "en": ("Another approval is needed", "{child}'s request for {amount} won: {awaiting}"),
    },
    "AllowanceApproved": {
        "ko": ("요청이 승인되었습니다", "{child}의 {amount}원 요청이 승인되어 지급을 기다립니다."),
        "en": (
            "A request was approved",
            "{child}'s request for {amount} won was approved and waits to be paid.",
        ),
    },
    "AllowanceRejected": {
        "ko": ("요청이 거절되었습니다", "{child}의 {amount}원 요청이 거절되었습니다. 사유: {reason}"),
        "en": ("A request was rejected", "{child}'s request for {amount} won was rejected: {reason}"),
    },
    "AllowancePaid": {
        "ko": ("용돈이 지급되었습니다", "{child}에게 {amount}원이 지급되었습니다."),
        "en": ("Pocket money paid", "{child} was paid {amount} won."),
    },
}
_AWAITING = {
    "second_parent": {"ko": "다른 부모의 승인이 필요합니다", "en": "the other parent must approve too"},
    "cooling_off": {
        "ko": "숙려 기간이 지나면 다시 승인할 수 있습니다",
        "en": "approve again after the cooling-off period",
    },
}


def recipients_for(event: str) -> Audience:
    """Who an event is for; an event without wording (a future one) goes to nobody."""
    return _AUDIENCE.get(event, Audience(child=False, parents=False))


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""  # a fact the event did not carry reads as nothing, never as a crash


def compose(event: str, role: str, locale: str, facts: Mapping[str, Any]) -> tuple[str, str]:
    """``(title, body)`` of ``event`` for a recipient of ``role`` ("child"/"parent") in ``locale``."""
    table = _CHILD if role == "child" else _PARENT
    texts = table.get(event)
    if texts is None:
        raise KeyError(f"no {role} wording for {event}")
    lang = locale if locale in LOCALES else "ko"
    title, body = texts[lang]
    values = _Facts(facts)
    if isinstance(values.get("amount"), int):
        values["amount"] = f"{values['amount']:,}"
    awaiting = _AWAITING.get(str(values.get("awaiting", "")))
    if awaiting:
        values["awaiting"] = awaiting[lang]
    return title.format_map(values), body.format_map(values)
