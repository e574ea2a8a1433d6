"""Smoke tests in chromium: the child's home in Korean renders real Hangul, not empty boxes.

Flet web ships no Korean font; without ``page.fonts`` every Hangul glyph is a "tofu" box. The check
compares the same Korean label rendered by the app with the font and by the same app without it:
if the font did not load, both crops are the same tofu and the test fails.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .conftest import Served

LABEL = "[flt-semantics-identifier=home-total-label]"


def open_app(browser: Any, served: Served, path: str = "/", ready: str = LABEL) -> Any:
    context = browser.new_context(viewport={"width": 420, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    joiner = "&" if "?" in path else "?"
    page.goto(f"{served.base}{path}{joiner}key={served.secret}")  # the secret: redirected, cookie set
    assert "key=" not in page.url
    page.wait_for_function("!document.getElementById('loading')")
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    page.wait_for_function("document.querySelectorAll('flt-semantics').length > 1")
    page.locator(ready).wait_for()
    return page


def crop(page: Any) -> bytes:
    label = page.locator(LABEL)
    # Flutter rebuilds its semantics nodes: between two frames the label may have none for a moment
    label.wait_for(state="visible")
    box = label.bounding_box()
    assert box and box["width"] > 10, box
    return page.screenshot(clip=box)


def pixels(png: bytes) -> list[int]:
    """Grey levels of a PNG (stdlib only: zlib-decoded scanlines, filters undone)."""
    import struct
    import zlib

    data = io.BytesIO(png)
    assert data.read(8) == b"\x89PNG\r\n\x1a\n"
    width = height = 0
    raw = b""
    while True:
        length, kind = struct.unpack(">I4s", data.read(8))
        chunk = data.read(length)
        data.read(4)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            raw += chunk
        elif kind == b"IEND":
            break
    rows, stride, out, prev = zlib.decompress(raw), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = rows[y * (stride + 1)], bytearray(rows[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(f)
            if pred is None:  # Paeth
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
        out.extend((line[i] + line[i + 1] + line[i + 2]) // 3 for i in range(0, stride, bpp))
        prev = line
    return out


def stable_crop(page: Any, tries: int = 40) -> list[int]:
    """The label once two crops 300 ms apart are identical (no transition, no font swap under way)."""
    last = crop(page)
    for _ in range(tries):
        page.wait_for_timeout(300)
        now = crop(page)
        if now == last:
            return pixels(now)
        last = now
    raise AssertionError("the label never stopped changing")


def ink(grey: list[int]) -> list[bool]:
    """Which pixels are text: clearly darker than the label's background (its most common grey)."""
    background = max(set(grey), key=grey.count)
    return [v < background - 60 for v in grey]


def test_child_home_in_korean_renders_hangul(
    browser, fake_app, fake_app_without_font, artifacts: Path
) -> None:
    tofu_page = open_app(browser, fake_app_without_font)
    tofu = ink(stable_crop(tofu_page))
    tofu_page.context.close()

    context = browser.new_context(viewport={"width": 420, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    with page.expect_response(lambda r: r.url.endswith("/fonts/NanumGothic.ttf") and r.ok):
        page.goto(fake_app.entry)  # the app must fetch the shipped font
    page.wait_for_function("!document.getElementById('loading')")
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    page.locator(LABEL).wait_for()
    page.locator("[flt-semantics-identifier=home-chart]").wait_for()
    glyphs = ink(stable_crop(page))
    page.screenshot(path=str(artifacts / "child_home_ko.png"))
    (artifacts / "child_home_label_ko.png").write_bytes(crop(page))
    n = min(len(glyphs), len(tofu))
    assert sum(glyphs) > 20, "the label has no ink at all"
    changed = sum(a != b for a, b in zip(glyphs[:n], tofu[:n], strict=True)) / n
    # the same words drawn as boxes and as Hangul differ in a good part of their strokes
    assert changed > 0.05, f"the Korean label's strokes match the tofu rendering ({changed:.1%} differ)"
    context.close()


def test_child_home_shows_numbers_and_sync_state(browser, fake_app) -> None:
    page = open_app(browser, fake_app)
    total = page.locator("[flt-semantics-identifier=home-total]")
    chip = page.locator("[flt-semantics-identifier=sync-chip]")
    assert "1,013,600 G₩" in total.inner_text()
    assert "맞췄어요" in chip.inner_text()
    page.context.close()


def test_a_child_places_an_order_in_the_browser(browser, fake_app) -> None:
    from playwright.sync_api import expect

    page = open_app(
        browser, fake_app, "/child/trade/005930.KS?side=buy", "[flt-semantics-identifier=trade-input]"
    )
    box = page.get_by_role("textbox", name="몇 주?")
    for _ in range(3):  # Flutter may drop keys typed before the field has focus (research/flet.md §4)
        box.click()
        page.wait_for_timeout(150)
        page.keyboard.press("Control+A")
        page.keyboard.type("1")
        try:
            expect(box).to_have_value("1", timeout=1000)
            break
        except AssertionError:
            continue
    page.get_by_role("button", name="확인하기").click()
    page.get_by_role("button", name="주문하기").click()
    expect(page.locator("[flt-semantics-identifier=trade-status]")).to_contain_text("확인을 기다리는 중")
    page.context.close()
