"""Toss' card page for a family's plan, and where Toss sends the parent's browser after it:
``/payment/toss/billing/{customerKey}/{signature}/success?customerKey=…&authKey=…`` (or
``…/fail?code=…&message=…``). Hosted only.

The browser carries no credentials: the address is the capability, signed for this family's random
``customerKey`` when a stepped-up parent opened the checkout (``subscriptions.checkout``). A wrong
signature, an unknown key or a family server is "not found" and touches nothing. The page is in both
languages (the browser's caller is not known), server-rendered like the KakaoPay return page.

``…/checkout`` is the page the app opens: it loads Toss' browser SDK (v1) and calls
``requestBillingAuth('카드', {customerKey, successUrl, failUrl})``, which takes the parent to Toss'
card form. Its Content-Security-Policy lets in Toss' script and this page's one inline script (by
nonce) and nothing else. The tests play the SDK's part (they call ``…/success`` with an ``authKey``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from sync.errors import Code

from ..db import Database
from ..errors import DomainError
from ..pages import HEADERS, html, page
from .links import link_key, signed
from .renewals import add_card
from .return_page import _PUBLIC
from .subscriptions import BILLING_RETURN, billing_from_settings, by_customer, return_base

__all__ = ["ROUTES"]

_TEXT = {
    "trial": (
        "카드를 등록했어요 · Card added",
        "체험이 끝나면 결제돼요. · You are charged when the trial ends.",
    ),
    "active": ("프리미엄을 시작했어요 · Premium is on", "결제가 끝났어요. · The payment went through."),
    "declined": (
        "결제가 되지 않았어요 · The payment did not go through",
        "카드사가 결제를 거절했어요. 다른 카드로 다시 해 보세요. · The card was declined: try another card.",
    ),
    "failed": (
        "카드를 등록하지 못했어요 · The card was not added",
        "돈은 나가지 않았어요. 앱에서 다시 해 보세요. · No money moved: try again in the app.",
    ),
}
_BACK = "이 창을 닫고 앱으로 돌아가세요. · You can close this page and go back to the app."
_UNKNOWN = (
    "이 링크는 유효하지 않아요 · This link is not valid",
    "앱에서 다시 시작하세요. · Start again in the app.",
)


def _refusal(
    request: Request[Any, Any, Any], state: State, customer_key: str, signature: str
) -> Response[str] | None:
    """``None`` for a genuine address on a hosted service; else "not found", having touched nothing."""
    settings = state.settings
    if (
        settings.hosted
        and billing_from_settings(settings) is not None
        and signed(link_key(settings), customer_key, signature)
        and by_customer(state.db, customer_key) is not None
    ):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        raise DomainError(Code.NOT_FOUND, "no such payment link")
    return html(page("ko", *_UNKNOWN[:1], [_UNKNOWN[1]], ok=False), 404)


def _page(outcome: str) -> Response[str]:
    title, lead = _TEXT[outcome]
    return html(page("ko", title, [lead, _BACK], ok=outcome in ("trial", "active")))


TOSS_SDK = "https://js.tosspayments.com/v1/payment"


def _checkout(client_key: str, customer_key: str, back: str) -> Response[str]:
    nonce = secrets.token_urlsafe(16)
    call = {"customerKey": customer_key, "successUrl": f"{back}/success", "failUrl": f"{back}/fail"}
    script = (  # the values as JSON, "</" escaped: nothing in them can end the script element
        f"TossPayments({json.dumps(client_key)}).requestBillingAuth('카드', {json.dumps(call)})"
    ).replace("</", "<\\/")
    title = "카드 등록 · Add a card"
    content = (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<script src="{TOSS_SDK}"></script></head><body><p>{escape(title)}…</p>'
        f'<script nonce="{nonce}">{script}</script></body></html>'
    )
    headers = {
        **HEADERS,
        "Content-Security-Policy": (
            f"default-src 'none'; script-src {TOSS_SDK} 'nonce-{nonce}'; "
            "connect-src https://*.tosspayments.com; frame-src https://*.tosspayments.com; "
            "style-src 'unsafe-inline'; frame-ancestors 'none'"
        ),
    }
    return Response(content, media_type="text/html; charset=utf-8", headers=headers)


class TossBillingReturnController(Controller):
    path = BILLING_RETURN + "/{customer_key:str}/{signature:str}"
    tags = ["payment"]

    @get("/checkout", operation_id="tossBillingCheckout", **_PUBLIC)
    def checkout(
        self,
        request: Request[Any, Any, Any],
        customer_key: FromPath[str],
        signature: FromPath[str],
        state: State,
    ) -> Response[str]:
        """The page the app opens: Toss' SDK takes the parent to the card form."""
        refused = _refusal(request, state, customer_key, signature)
        if refused is not None:
            return refused
        settings = state.settings
        return _checkout(settings.toss_client_key or "", customer_key, return_base(settings, customer_key))

    @get("/success", operation_id="tossBillingSuccess", **_PUBLIC)
    def success(
        self,
        request: Request[Any, Any, Any],
        customer_key: FromPath[str],
        signature: FromPath[str],
        state: State,
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        customer_key_back: Annotated[str | None, QueryParameter(name="customerKey", max_length=64)] = None,
        auth_key: Annotated[str | None, QueryParameter(name="authKey", max_length=200)] = None,
    ) -> Response[str]:
        """Toss' success return: the ``authKey`` becomes the family's billing key; charged if due."""
        refused = _refusal(request, state, customer_key, signature)
        if refused is not None:
            return refused
        billing = billing_from_settings(state.settings)
        if customer_key_back != customer_key or not auth_key or billing is None:
            return _page("failed")
        return _page(add_card(db, billing, state.settings, customer_key, auth_key, clock()))

    @get("/fail", operation_id="tossBillingFail", **_PUBLIC)
    def fail(
        self,
        request: Request[Any, Any, Any],
        customer_key: FromPath[str],
        signature: FromPath[str],
        state: State,
    ) -> Response[str]:
        """Toss' fail return (the parent closed the card page, or Toss refused): nothing changed."""
        return _refusal(request, state, customer_key, signature) or _page("failed")


ROUTES: list[Any] = [TossBillingReturnController]
