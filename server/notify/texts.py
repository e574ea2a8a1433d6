"""What each event says to whom: recipients per event and the wording per role and locale.

Children read child-friendly sentences ("주문이 체결됐어요" / "Your order went through!"); parents read
plain ones that name the child. Pure: the dispatcher passes in the facts it looked up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.korean import fix_particles

__all__ = ["EVENTS", "LOCALES", "Audience", "compose", "recipients_for"]

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
    "StockDelisted": Audience(child=True, parents=False),
    "PriceHistoryEnded": Audience(child=True, parents=False),
    # a parent's mission met: the child earned it, and every parent hears (no parent acted: the server did)
    "MissionCompleted": Audience(child=True, parents=True),
    # graded trade approval: the parents act on a waiting order; the child hears a decline (an
    # approval it hears as the order's own outcome: filled, rejected or waiting for the open)
    "TradeApprovalRequested": Audience(child=False, parents=True),
    "TradeDeclined": Audience(child=True, parents=True),
    "AllowanceRequested": Audience(child=False, parents=True),
    "AllowanceApprovalNeeded": Audience(child=False, parents=True),
    "AllowanceApproved": Audience(child=True, parents=True),
    "AllowanceRejected": Audience(child=True, parents=True),
    "AllowancePaid": Audience(child=True, parents=True),
    # the family's security: every parent hears it, also the one it is about (an alert about your own
    # session is the point), never a child (it cannot act on it; a parent resets its PIN)
    "DeviceEnrolled": Audience(child=False, parents=True),
    "SecurityAlert": Audience(child=False, parents=True),
    "WeeklySummary": Audience(child=False, parents=True),
}

Text = tuple[str, str]  # (title, body), str.format templates over the event's facts
_CHILD: dict[str, dict[str, Text]] = {
    # {name_ko}/{name_en}: the stock's name from the directory; {side_ko}/{side_en}: 사기/팔기, buy/sell.
    # These stored words serve push, e-mail and older apps; the app words ``data["facts"]`` itself.
    "TradeExecuted": {
        "ko": ("주문이 체결됐어요", "{name_ko} {side_ko} 주문이 체결됐어요. 내 주식을 확인해 보세요!"),
        "en": (
            "Your order went through!",
            "Your {name_en} {side_en} order was filled. Have a look at your stocks!",
        ),
    },
    "TradeAdjusted": {
        "ko": (
            "주문이 체결됐어요",
            "가격이 조금 바뀌어서 {name_ko} {side_ko} 주문이 새 가격으로 체결됐어요.",
        ),
        "en": (
            "Your order went through!",
            "The price moved a little, so your {name_en} {side_en} order used the newest price.",
        ),
    },
    "TradeRejected": {
        "ko": (
            "주문이 체결되지 않았어요",
            "{name_ko} {side_ko} 주문이 체결되지 않았어요. 맡겨 둔 것은 그대로 돌려받았어요.",
        ),
        "en": (
            "Your order didn't go through",
            "Your {name_en} {side_en} order didn't go through. What was held is back.",
        ),
    },
    "OrderQueued": {
        "ko": ("주문을 기다리고 있어요", "시장이 열리면 {name_ko} {side_ko} 주문을 처리할게요."),
        "en": ("Your order is waiting", "We'll place your {name_en} {side_en} order when the market opens."),
    },
    # {why_ko}/{why_en}: why the server cancelled it (a split, a delisting, our history ending)
    "OrderCancelled": {
        "ko": (
            "주문이 취소됐어요",
            "{name_ko} {side_ko} 주문이 취소됐어요. {why_ko} 맡겨 둔 것은 그대로 돌려받았어요.",
        ),
        "en": (
            "Your order was cancelled",
            "Your {name_en} {side_en} order was cancelled. {why_en} What was held is back.",
        ),
    },
    # the facts come from server.market.actions: names (company_ko carries its subject particle),
    # the per-share amount in the stock's own currency and the child's shares
    "DividendPaid": {
        "ko": (
            "배당금을 받았어요!",
            "{company_ko} 주식 1주당 {per_share_ko} 배당금을 줬어요. "
            "{shares}주를 가지고 있어서 {amount} G₩을(를) 받았어요.",
        ),
        "en": (
            "You got a dividend!",
            "{company_en} paid {per_share_en} for each share. "
            "You had {shares} shares, so you got {amount} G₩.",
        ),
    },
    "SplitApplied": {
        "ko": (
            "주식이 나뉘었어요",
            "{company_ko} 주식을 {old}주당 {new}주로 나눴어요. 이제 {shares}주를 가지고 있어요. "
            "주식 수만 바뀌고 가진 가치는 그대로예요.",
        ),
        "en": (
            "Your shares were split",
            "{company_en} split its stock {new}-for-{old}: "
            "you now have {shares} shares, worth the same as before.",
        ),
    },
    # a settlement: a real delisting, or (history replay) the end of our bundled price history, which
    # must never read as if the company had gone away
    "StockDelisted": {
        "ko": (
            "주식이 상장 폐지됐어요",
            "{company_ko} 거래소를 떠났어요(상장 폐지). 가지고 있던 {shares}주를 마지막 가격 "
            "{price_ko}에 정리해서 {total} G₩을(를) 받았어요. {gain_ko}",
        ),
        "en": (
            "A stock left the market",
            "{company_en} was delisted: it no longer trades. Your {shares} shares were settled at its "
            "last price, {price_en}, and you got {total} G₩. {gain_en}",
        ),
    },
    "PriceHistoryEnded": {
        "ko": (
            "이 회사의 가격 기록이 끝났어요",
            "우리가 가진 {company_name_ko} 가격 기록은 여기서 끝나요. 회사가 없어진 것은 아니에요. "
            "가지고 있던 {shares}주를 마지막 가격 {price_ko}에 정리해서 {total} G₩을(를) 받았어요. "
            "{gain_ko}",
        ),
        "en": (
            "Our price history for this company ends here",
            "Our price history for {company_en} ends here; the company did not go away. Your {shares} "
            "shares were settled at the last price we have, {price_en}, and you got {total} G₩. "
            "{gain_en}",
        ),
    },
    # {title_ko}/{title_en}: the mission in words (``sync.missions.title``); {amount}: the reward
    "MissionCompleted": {
        "ko": ("미션 성공!", "'{title_ko}' 미션을 해냈어요. 상으로 {amount} G₩을(를) 받았어요!"),
        "en": ("Mission complete!", "You did it: '{title_en}'. You got {amount} G₩ as a reward!"),
    },
    "TradeDeclined": {
        "ko": (
            "부모님이 이번 주문은 안 된대요",
            "{name_ko} {side_ko} 주문은 하지 않기로 했어요. 이유: {reason} 맡겨 둔 것은 그대로 돌려받았어요.",
        ),
        "en": (
            "A parent said no to this order",
            "Your {name_en} {side_en} order won't go ahead. Why: {reason} What was held is back.",
        ),
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
    "MissionCompleted": {
        "ko": ("미션 완료", "{child}이(가) '{title_ko}' 미션을 완료해 {amount} G₩을(를) 받았습니다."),
        "en": ("Mission complete", "{child} completed '{title_en}' and got {amount} G₩."),
    },
    "TradeApprovalRequested": {
        "ko": ("거래 승인 요청", "{child}의 {name_ko} {side_ko} 주문이 승인을 기다립니다."),
        "en": (
            "A trade waits for you",
            "{child}'s order to {side_en} {name_en} is waiting for your approval.",
        ),
    },
    "TradeDeclined": {
        "ko": (
            "주문이 거절되었습니다",
            "{child}의 {name_ko} {side_ko} 주문이 거절되었습니다. 사유: {reason}",
        ),
        "en": ("An order was declined", "{child}'s order to {side_en} {name_en} was declined: {reason}"),
    },
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
_PARENT.update(
    {
        "DeviceEnrolled": {
            "ko": ("새 기기가 등록되었습니다", "{who}의 기기 '{device}'가 가족에 등록되었습니다."),
            "en": ("A device was enrolled", "{who}'s device '{device}' joined the family."),
        },
        "SecurityAlert": {
            "ko": ("보안 알림", "{who}: {alert}"),
            "en": ("Security alert", "{who}: {alert}"),
        },
        "WeeklySummary": {
            "ko": ("이번 주 요약", "{child}: 평가금액 {value}G₩, 수익 {profit}G₩, 대기 요청 {pending}건."),
            "en": ("This week", "{child}: value {value} G₩, profit {profit} G₩, {pending} requests waiting."),
        },
    }
)
_ALERTS = {
    "refresh_reuse": {
        "ko": "이미 사용된 로그인 토큰이 다시 쓰여 그 세션을 모두 끊었습니다. "
        "본인이 아니라면 비밀번호를 바꾸세요.",
        "en": "an old sign-in token was used again, so that session was signed out everywhere. "
        "If it was not you, change the password.",
    },
    "pin_lockout": {
        "ko": "PIN이 10번 틀려 잠겼습니다. 부모 모드에서 PIN을 다시 설정해 주세요.",
        "en": "the PIN was entered wrongly 10 times and is locked. Reset it in parent mode.",
    },
    "new_device": {
        "ko": "새 기기 '{device}'에서 로그인했습니다. 본인이 아니라면 기기를 해제하세요.",
        "en": "signed in on a new device '{device}'. If it was not you, revoke the device.",
    },
    "phone_verified": {
        "ko": "문자 알림을 받을 번호 {phone}을(를) 확인했습니다. "
        "본인이 아니라면 번호를 지우고 비밀번호를 바꾸세요.",
        "en": "confirmed {phone} for text alerts. If it was not you, remove the number and change the "
        "password.",
    },
    "phone_removed": {
        "ko": "문자 알림 번호 {phone}을(를) 지웠습니다. 이제 문자는 가지 않습니다.",
        "en": "removed {phone} from text alerts. No more texts go to it.",
    },
    "erasure_child": {
        "ko": "아이 한 명의 기록 삭제를 요청했습니다({due}에 삭제). "
        "원하지 않으면 그 전에 '기기' 화면에서 취소하세요.",
        "en": "asked to erase a child's records (on {due}). If you do not want that, cancel it on the "
        "Devices screen before then.",
    },
    "erasure_family": {
        "ko": "가족 전체 기록 삭제를 요청했습니다({due}에 삭제). "
        "원하지 않으면 그 전에 '기기' 화면에서 취소하세요.",
        "en": "asked to erase the whole family's records (on {due}). If you do not want that, cancel it "
        "on the Devices screen before then.",
    },
    "erasure_cancelled_child": {
        "ko": "아이 기록 삭제를 취소했습니다. 아무것도 지워지지 않습니다.",
        "en": "called off the erasure of a child's records. Nothing will be erased.",
    },
    "erasure_cancelled_family": {
        "ko": "가족 기록 삭제를 취소했습니다. 아무것도 지워지지 않습니다.",
        "en": "called off the erasure of the family's records. Nothing will be erased.",
    },
}
_AWAITING = {
    "second_parent": {"ko": "다른 부모의 승인이 필요합니다", "en": "the other parent must approve too"},
    "cooling_off": {
        "ko": "숙려 기간이 지나면 다시 승인할 수 있습니다",
        "en": "approve again after the cooling-off period",
    },
}


_SIDE = {"buy": ("사기", "buy"), "sell": ("팔기", "sell")}
# why the server cancelled a waiting order (``OrderCancelled``'s ``reason``); the child's own cancel
# needs no why. A replay's history ending must never read as if the company had gone away
_WHY_CANCELLED = {
    "split": (
        "주식이 나뉘어서 주문에 적힌 수와 가격이 더는 맞지 않아요.",
        "The stock was split, so the order's numbers no longer fit.",
    ),
    "delisted": (
        "이 주식은 상장 폐지되어 이제는 사거나 팔 수 없어요.",
        "The stock was delisted, so it can't be bought or sold any more.",
    ),
    "data_end": (
        "우리가 가진 이 회사의 가격 기록이 끝나서 여기서는 더 사거나 팔 수 없어요. "
        "회사가 없어진 것은 아니에요.",
        "Our price history for this company ends, so it can't be bought or sold here any more; the "
        "company did not go away.",
    ),
}

EVENTS = tuple(_AUDIENCE)


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
    for key in ("amount", "total"):
        if isinstance(values.get(key), int):
            values[key] = f"{values[key]:,}"
    awaiting = _AWAITING.get(str(values.get("awaiting", "")))
    if awaiting:
        values["awaiting"] = awaiting[lang]
    if isinstance(values.get("due"), str):
        values["due"] = values["due"][:10]  # the day an erasure runs (UTC)
    alert = _ALERTS.get(str(values.get("kind", "")))
    if alert:
        values["alert"] = alert[lang].format_map(values)
    for key in ("value", "profit"):
        if isinstance(values.get(key), int):
            values[key] = f"{values[key]:,}"
    why = _WHY_CANCELLED.get(str(values.get("reason", ""))) if event == "OrderCancelled" else None
    if why:
        values["why_ko"], values["why_en"] = why
    side = _SIDE.get(str(values.get("side", "")))
    if side:
        values["side_ko"], values["side_en"] = side
    # a fact the event lacks (an order's side, a stock's name) leaves no double space behind
    title, body = (re.sub(r" {2,}", " ", t.format_map(values)) for t in (title, body))
    if lang == "ko":  # "{amount} G₩을(를)" reads "… G₩을" once the amount is known
        title, body = fix_particles(title), fix_particles(body)
    return title, body
