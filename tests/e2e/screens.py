"""A device's screen in chromium: find controls by their semantics ids and labels, tap until the
screen answers, type with checks, and keep pictures.

Flutter draws on a canvas; with semantics on (a click on ``flt-semantics-placeholder``) it mirrors
every control into the DOM: labels become roles and names, ``ft.Semantics(identifier=…)`` becomes
``flt-semantics-identifier``. Taps that land while Flutter rebuilds the tree are lost and keys
typed before a field has focus are dropped, so every action checks that it took (research/flet.md).
Waits are generous: a starved CI renderer has needed 20–60 s for a first frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Screen", "sid", "won"]

FIRST_FRAME_MS = 90_000
STEP_MS = 30_000
# a marker on the page's window: a reload (or a new document) loses it
_MARK = "window.__journey_page"


def sid(identifier: str, prefix: bool = False) -> str:
    op = "^=" if prefix else "="
    return f'[flt-semantics-identifier{op}"{identifier}"]'


def won(text: str) -> int:
    """The whole number in a text such as ``"+27,300 G₩"`` or ``"1,500원"`` (sign kept)."""
    found = re.search(r"([-+−]?)\s*([\d,]+)", text)
    assert found is not None, f"no amount in {text!r}"
    sign = -1 if found.group(1) in ("-", "−") else 1
    return sign * int(found.group(2).replace(",", ""))


@dataclass
class Screen:
    """One browser context (one device), showing one app's web view."""

    name: str
    page: Any
    shots: Path
    taken: list[Path] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, name: str, link: str, shots: Path) -> Screen:
        context = browser.new_context(viewport={"width": 420, "height": 900}, locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(STEP_MS)
        page.goto(link, timeout=FIRST_FRAME_MS)
        page.wait_for_function("!document.getElementById('loading')", timeout=FIRST_FRAME_MS)
        page.locator("flt-semantics-placeholder").dispatch_event("click")
        semantics = "document.querySelectorAll('flt-semantics').length > 1"
        page.wait_for_function(semantics, timeout=FIRST_FRAME_MS)
        page.evaluate(f"{_MARK} = true")
        return cls(name, page, shots)

    # -- finding -------------------------------------------------------------------------
    def id(self, identifier: str, prefix: bool = False) -> Any:
        return self.page.locator(sid(identifier, prefix))

    def button(self, name: str, exact: bool = False) -> Any:
        return self.page.get_by_role("button", name=name, exact=exact)

    def tab(self, name: str) -> Any:
        return self.page.get_by_role("tab", name=name)

    def box(self, label: str) -> Any:
        return self.page.get_by_role("textbox", name=label)

    def words(self, text: str | re.Pattern[str]) -> Any:
        """Text on the screen, however Flutter exposes it: its own text node, or merged into the
        label of the card or button that holds it."""
        return self.page.get_by_text(text).or_(self.page.get_by_label(text)).first

    def text_of(self, identifier: str, prefix: bool = False) -> str:
        target = self.id(identifier, prefix).first
        target.wait_for()
        return str(target.text_content() or target.get_attribute("aria-label") or "")

    # -- acting --------------------------------------------------------------------------
    def settle(self, target: Any) -> None:
        """Bring ``target`` into view and wait until it stops moving. Flutter scrolls (and lays out
        a screen that grew) over several frames, and its semantics nodes follow; a click computed
        from a node mid-move lands on whatever is drawn there by then. A re-render replaces the
        nodes: then the locator finds the new one."""
        from playwright.sync_api import Error as PlaywrightError

        where = None
        for _ in range(20):
            try:
                target.scroll_into_view_if_needed(timeout=5_000)
                now = target.bounding_box(timeout=5_000)
            except PlaywrightError:  # replaced while we looked: look again
                now = None
            if now is not None and now == where:
                return
            where = now
            self.page.wait_for_timeout(150)

    def type_into(self, label: str, text: str) -> None:
        """Click, wait, type, check: Flutter may drop keys typed before the field has focus."""
        from playwright.sync_api import expect

        box = self.box(label).first
        box.wait_for()
        for _ in range(5):
            self.settle(box)
            box.click()
            self.page.wait_for_timeout(150)
            self.page.keyboard.press("Control+A")
            # one input event for the whole text: a screen that re-renders on each change (the
            # allowance form shows the real amount as you type) cannot race single keystrokes
            self.page.keyboard.insert_text(text)
            try:
                expect(box).to_have_value(text, timeout=2_000)
                return
            except AssertionError:
                continue
        raise AssertionError(f"{self.name}: could not type into {label!r}")

    def tap(self, target: Any, until: Any, attempts: int = 3, timeout_ms: int = STEP_MS) -> None:
        """Click ``target`` until ``until`` shows. A tap that landed while Flutter rebuilt the
        semantics tree is lost; one that did land shows as its button going busy or away, and then
        the screen gets the whole timeout instead of a second click."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for _ in range(attempts):
            self.settle(target.first)
            target.first.click()
            try:
                until.first.wait_for(timeout=7_000)
                return
            except PlaywrightTimeout:
                if target.count() == 0 or target.first.get_attribute("aria-disabled") == "true":
                    until.first.wait_for(timeout=timeout_ms)
                    return
        raise AssertionError(f"{self.name}: nothing happened after tapping {target}")

    def go_tab(self, name: str, until: Any) -> None:
        self.tap(self.tab(name), until)

    # -- evidence ------------------------------------------------------------------------
    def shot(self, what: str) -> Path:
        """A picture of the screen as it is now (after the page transition's animation), the pointer
        moved off whatever it last tapped: a scripted tap leaves the mouse resting there, and Flutter
        showed that tab's hover tooltip over the picture (a finger lifts; a mouse stays)."""
        if (viewport := self.page.viewport_size) is not None:
            self.page.mouse.move(viewport["width"] // 2, 1)  # the top edge: no tooltip lives there
        self.page.wait_for_timeout(500)
        number = len(list(self.shots.glob("[0-9]*.png"))) + 1  # one sequence across devices
        path = self.shots / f"{number:02d}-{self.name}-{what}.png"
        self.page.screenshot(path=str(path), timeout=15_000)
        self.taken.append(path)
        return path

    def failure_shot(self) -> None:
        """What the screen showed when a step failed, if the page still answers."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            self.page.screenshot(path=str(self.shots / f"failed-{self.name}.png"), timeout=5_000)
        except PlaywrightError as exc:
            print(f"no failure picture of {self.name}: {exc}")

    def never_reloaded(self) -> bool:
        """True while the document the journey opened is still the one shown."""
        return bool(self.page.evaluate(f"{_MARK} === true"))

    def close(self) -> None:
        self.page.context.close()
