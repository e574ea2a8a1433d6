"""The few pages a parent's browser lands on after an outside provider (KakaoPay's return, an
OpenID Connect sign-in): server-rendered, with nothing to load from elsewhere (a strict
Content-Security-Policy), never cached and never sent on as a referrer (their addresses carry
one-time credentials)."""

from __future__ import annotations

from html import escape

from litestar import Response

__all__ = ["html", "page"]

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def page(lang: str, title: str, lines: list[str], *, ok: bool) -> str:
    """A small page: a title (green when ``ok``, else red) and paragraphs, every value escaped."""
    accent = "#1b873f" if ok else "#b3261e"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,'Apple SD Gothic Neo','Noto Sans KR',sans-serif;margin:0 1rem;"
        "background:#f6f6f9;color:#1c1b1f}main{max-width:32rem;margin:3rem auto;padding:1.5rem;"
        "background:#fff;border-radius:1rem;box-shadow:0 1px 4px #0002}"
        f"h1{{font-size:1.5rem;color:{accent}}}p{{font-size:1.1rem;line-height:1.5}}"
        f"</style></head><body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def html(content: str, status: int = 200) -> Response[str]:
    return Response(content, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)
