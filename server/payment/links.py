"""The addresses a payment provider sends the parent back to, and the key that makes them unguessable.

A KakaoPay payment is completed in the parent's browser, which then lands on
``/payment/kakaopay/<payout id>/<signature>/approved`` (or ``cancelled``, ``failed``). That request
carries no credentials, so the address itself is the capability: the signature is an HMAC of the
payout id under a server key, made when the stepped-up parent opened the link. Without it the page
answers "not found" and touches nothing (a guessed payout id cannot cancel or complete a payout).
"""

from __future__ import annotations

import hashlib
import hmac

from ..settings import Settings

__all__ = ["KAKAOPAY_RETURN", "link_key", "return_base", "sign", "signed"]

KAKAOPAY_RETURN = "/payment/kakaopay"


def link_key(settings: Settings) -> bytes:
    """Derived from the pepper (which never rotates), under its own label."""
    return hmac.new(settings.pin_pepper.encode(), b"yongdon payment return links v1", hashlib.sha256).digest()


def sign(key: bytes, payout_id: str) -> str:
    return hmac.new(key, payout_id.encode(), hashlib.sha256).hexdigest()[:32]  # 128 bits


def signed(key: bytes, payout_id: str, signature: str) -> bool:
    # as bytes: ``compare_digest`` refuses a str with non-ASCII characters (a forged address)
    return hmac.compare_digest(sign(key, payout_id).encode(), signature.encode("utf-8", "replace"))


def return_base(public_url: str, key: bytes, payout_id: str) -> str:
    """Where the provider returns for this payout, without the outcome (``/approved`` …)."""
    return f"{public_url.rstrip('/')}{KAKAOPAY_RETURN}/{payout_id}/{sign(key, payout_id)}"
