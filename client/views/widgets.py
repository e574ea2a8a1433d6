"""Small building blocks: stable test ids, big touch targets, the sync chip, money text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from client.theme import MIN_TOUCH

__all__ = ["big_button", "card", "chip", "field", "heading", "muted", "tid"]

TONES = {
    "ok": ft.Colors.GREEN_100,
    "busy": ft.Colors.BLUE_100,
    "warn": ft.Colors.AMBER_100,
    "error": ft.Colors.RED_100,
}
PROFIT = {"up": ft.Colors.RED_700, "down": ft.Colors.BLUE_700, "flat": None}  # Korean convention: up is red


def tid(identifier: str, control: ft.Control, label: str | None = None) -> ft.Semantics:
    """A stable test id (``flt-semantics-identifier``) and an accessible label for ``control``."""
    return ft.Semantics(identifier=identifier, label=label, content=control)


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


def chip(text: str, tone: str, identifier: str = "sync-chip") -> ft.Control:
    body = ft.Container(
        ft.Text(text, size=14),
        bgcolor=TONES.get(tone),
        padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        border_radius=ft.BorderRadius.all(16),
    )
    return tid(identifier, body, label=text)


def heading(text: str) -> ft.Text:
    return ft.Text(text, size=20, weight=ft.FontWeight.BOLD)


def muted(text: str, size: int = 14) -> ft.Text:
    return ft.Text(text, size=size, color=ft.Colors.ON_SURFACE_VARIANT)


def card(*controls: ft.Control, identifier: str | None = None) -> ft.Control:
    body = ft.Card(ft.Container(ft.Column(list(controls), spacing=6), padding=16))
    return tid(identifier, body) if identifier else body
