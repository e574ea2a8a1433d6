"""Stable error codes → text a child understands (the one place codes become words)."""

from __future__ import annotations

from typing import Any

from client.i18n import Translator

__all__ = ["code_of", "explain"]


def explain(tr: Translator, code: str | None) -> str:
    """The friendly sentence for a rejection, protocol or network code; never the raw code alone."""
    key = f"error.{code}"
    return tr(key) if code and tr.has(key) else tr("error.UNKNOWN")


def code_of(exc: BaseException) -> str:
    """The stable code an ``ApiError``/``Rejected`` carries (both expose ``code``), else UNKNOWN."""
    code: Any = getattr(exc, "code", None)
    return str(code) if code else "UNKNOWN"
