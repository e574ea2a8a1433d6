"""Small building blocks: stable test ids, big touch targets, the sync chip, money text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from client.theme import MIN_TOUCH

__all__ = ["big_button", "card", "chip", "field", "heading", "muted", "tid", "wide_switch"]

# (background, text) pairs from the theme's own roles: each pair is readable in light and dark mode
# (fixed light backgrounds left dark mode's light text unreadable on them)
TONES = {
    "ok": (ft.Colors.SECONDARY_CONTAINER, ft.Colors.ON_SECONDARY_CONTAINER),
    "busy": (ft.Colors.PRIMARY_CONTAINER, ft.Colors.ON_PRIMARY_CONTAINER),
    "warn": (ft.Colors.TERTIARY_CONTAINER, ft.Colors.ON_TERTIARY_CONTAINER),
    "error": (ft.Colors.ERROR_CONTAINER, ft.Colors.ON_ERROR_CONTAINER),
}
PROFIT = {"up": ft.Colors.RED_700, "down": ft.Colors.BLUE_700, "flat": None}  # Korean convention: up is red


def tid(identifier: str, control: ft.Control, label: str | None = None) -> ft.Semantics:
    """A stable test id (``flt-semantics-identifier``) and an accessible label for ``control``."""
    return ft.Semantics(identifier=identifier, label=label, content=control)


def wide_switch(identifier: str, label: str, value: bool, turn: Callable[[bool], Any]) -> ft.Control:
    """A switch whose label wraps: ``ft.Switch``'s own label stays on one line and was cut off at a
    phone's width. Tapping the words flips it too, as tapping a switch's label does."""
    switch = ft.Switch(value=value, on_change=lambda e: turn(bool(e.control.value)))

    def flip(_: Any) -> None:
        switch.value = not switch.value
        switch.update()
        turn(bool(switch.value))

    words = ft.Container(ft.Text(label, size=16), expand=True, on_click=flip)
    row = ft.Row([switch, words], vertical_alignment=ft.CrossAxisAlignment.CENTER)
    return tid(identifier, row, label=label)


def big_button(
    label: str, on_click: Callable[..., Any] | None, identifier: str, *, primary: bool = True,
    disabled: bool = False, icon: ft.IconData | None = None,
) -> ft.Control:  # fmt: skip
    cls = ft.FilledButton if primary else ft.OutlinedButton
    button = cls(label, icon=icon, on_click=on_click, height=MIN_TOUCH, disabled=disabled, expand=True)
    return tid(identifier, ft.Row([button]))


def field(label: str, identifier: str, **kw: Any) -> ft.TextField:
    tf = ft.TextField(label=label, text_size=20, **kw)
    tf.data = identifier
    return tf


def chip(
    text: str, tone: str, identifier: str = "sync-chip", *, on_click: Callable[..., Any] | None = None,
    tooltip: str | None = None,
) -> ft.Control:  # fmt: skip
    background, color = TONES.get(tone, TONES["ok"])
    body = ft.Container(
        ft.Text(text, size=14, color=color, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        bgcolor=background,
        # an edge of its own: on the parent's app bar (secondary container) an "ok" chip has the bar's
        # colour, and read as loose text
        border=ft.Border.all(1, ft.Colors.OUTLINE),
        padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        border_radius=ft.BorderRadius.all(16),
        on_click=on_click,
        tooltip=tooltip,
    )
    return tid(identifier, body, label=text)


def heading(text: str) -> ft.Text:
    return ft.Text(text, size=20, weight=ft.FontWeight.BOLD)


def muted(text: str, size: int = 14) -> ft.Text:
    return ft.Text(text, size=size, color=ft.Colors.ON_SURFACE_VARIANT)


def card(*controls: ft.Control, identifier: str | None = None) -> ft.Control:
    body = ft.Card(ft.Container(ft.Column(list(controls), spacing=6), padding=16))
    return tid(identifier, body) if identifier else body
