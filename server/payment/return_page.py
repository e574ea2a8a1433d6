"""The page a parent's browser lands on after KakaoPay: ``/payment/kakaopay/{payout}/{signature}/…``.

Server-rendered, in the language of the parent who opened the link, with nothing to load from
elsewhere (a strict Content-Security-Policy), never cached and never sent on as a referrer (the
address is a capability and carries the ``pg_token``). An address whose signature does not match is
"not found" and changes nothing; a client that does not ask for HTML gets the usual problem JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from sync.errors import Code

from ..db import Database
from ..errors import DomainError
from ..gateway import Gateway, provide_gateway
from ..pages import html, page
from ..problems import documented
from .links import KAKAOPAY_RETURN, link_key, signed
from .returns import Returned, abandon, complete, find
from .services import Payments

__all__ = ["ROUTES", "render"]

# a page for a browser (200), and "not found" for a link whose signature or payout does not match:
# a page for a browser, problem details for any other client (documented as such)
_PUBLIC: dict[str, Any] = {
    "exclude_from_auth": True,
    "security": [{}],
    "sync_to_thread": True,
    "media_type": MediaType.HTML,
    "responses": documented(404),
}

# (title, lead) per outcome; the lead names the child and the amount
_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "ko": {
        "paid": ("용돈을 보냈어요", "{child}에게 {amount}을 카카오페이로 보냈어요."),
        "failed": (
            "결제가 끝나지 않았어요",
            "돈은 나가지 않았어요. {child}의 {amount} 요청은 승인된 채로 남아 있으니, "
            "앱에서 다시 지급하세요.",
        ),
        "cancelled": (
            "결제를 취소했어요",
            "돈은 나가지 않았어요. {child}의 {amount} 요청은 승인된 채로 남아 있어요.",
        ),
        "waiting": (
            "결제를 마무리하고 있어요",
            "{child}에게 보낼 {amount}의 결제가 아직 끝나지 않았어요. 잠시 후 이 페이지를 새로 고치세요.",
        ),
    },
    "en": {
        "paid": ("Pocket money paid", "{amount} went to {child} through KakaoPay."),
        "failed": (
            "The payment did not go through",
            "No money moved. {child}'s request for {amount} is still approved: pay it again in the app.",
        ),
        "cancelled": (
            "You cancelled the payment",
            "No money moved. {child}'s request for {amount} is still approved.",
        ),
        "waiting": (
            "Finishing the payment",
            "The payment of {amount} to {child} is not finished yet. Reload this page in a moment.",
        ),
    },
}
_REFERENCE = {"ko": "카카오페이 승인번호: {reference}", "en": "KakaoPay reference: {reference}"}
_REASON = {"ko": "카카오페이의 답: {error}", "en": "KakaoPay said: {error}"}
_BACK = {
    "ko": "이 창을 닫고 용돈 앱으로 돌아가세요. 앱이 자동으로 새 소식을 받아요.",
    "en": "You can close this page and go back to the Yongdon app: it picks up the news by itself.",
}
_UNKNOWN = (
    "이 결제 링크는 유효하지 않아요 · This payment link is not valid",
    "앱에서 지급을 다시 시작하세요. · Start the payout again in the app.",
)


def _amount(locale: str, won: int) -> str:
    return f"{won:,}원" if locale == "ko" else f"₩{won:,}"


def render(returned: Returned) -> str:
    """The page for one outcome, every value escaped."""
    lang = returned.locale
    title, lead = _TEXT[lang][returned.outcome]
    lines = [lead.format(child=returned.child, amount=_amount(lang, returned.amount_real))]
    if returned.reference:
        lines.append(_REFERENCE[lang].format(reference=returned.reference))
    if returned.error and returned.outcome == "failed":
        lines.append(_REASON[lang].format(error=returned.error))
    lines.append(_BACK[lang])
    return page(lang, title, lines, ok=returned.outcome == "paid")


def _refusal(
    request: Request[Any, Any, Any], state: State, payout_id: str, signature: str
) -> Response[str] | None:
    """``None`` for a genuine link; else "not found" (a page for a browser), having touched nothing."""
    if signed(link_key(state.settings), payout_id, signature) and find(state.db, payout_id):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        raise DomainError(Code.NOT_FOUND, "no such payment link")
    title, lead = _UNKNOWN
    return html(page("ko", title, [lead], ok=False), 404)


class KakaoPayReturnController(Controller):
    path = KAKAOPAY_RETURN + "/{payout_id:str}/{signature:str}"
    tags = ["payment"]
    dependencies = {"gateway": Provide(provide_gateway, sync_to_thread=False)}

    @get("/approved", operation_id="kakaoPayApproved", **_PUBLIC)
    def approved(
        self,
        request: Request[Any, Any, Any],
        payout_id: FromPath[str],
        signature: FromPath[str],
        state: State,
        gateway: NamedDependency[Gateway],
        pg_token: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Response[str]:
        """KakaoPay's approval return: completes the payout with ``pg_token`` and shows the outcome."""
        refused = _refusal(request, state, payout_id, signature)
        if refused is not None:
            return refused
        payments: Payments = state.payments
        returned = complete(payments, gateway, payout_id, pg_token)
        return html(render(returned))

    @get("/cancelled", operation_id="kakaoPayCancelled", **_PUBLIC)
    def cancelled(
        self,
        request: Request[Any, Any, Any],
        payout_id: FromPath[str],
        signature: FromPath[str],
        state: State,
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> Response[str]:
        """KakaoPay's cancel return: nothing was paid; the link is closed."""
        refused = _refusal(request, state, payout_id, signature)
        return refused or html(render(abandon(db, clock, payout_id, "cancelled")))

    @get("/failed", operation_id="kakaoPayFailed", **_PUBLIC)
    def failed(
        self,
        request: Request[Any, Any, Any],
        payout_id: FromPath[str],
        signature: FromPath[str],
        state: State,
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> Response[str]:
        """KakaoPay's failure return: nothing was paid; the link is closed."""
        refused = _refusal(request, state, payout_id, signature)
        return refused or html(render(abandon(db, clock, payout_id, "failed")))


ROUTES: list[Any] = [KakaoPayReturnController]
