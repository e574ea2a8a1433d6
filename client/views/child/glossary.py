"""An info icon beside a number that opens its word explained with the child's own numbers."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.glossary import Gloss

from ..host import Host
from ..widgets import tid

__all__ = ["glossed", "info_button"]


def _dialog(host: Host, gloss: Gloss) -> ft.AlertDialog:
    def close(e: Any = None) -> None:
        host.pop_dialog()

    body = ft.Column(
        [
            tid("glossary-meaning", ft.Text(gloss.meaning, size=16), label=gloss.meaning),
            ft.Text(gloss.example_title, size=14, weight=ft.FontWeight.BOLD),
            tid("glossary-example", ft.Text(gloss.example, size=16), label=gloss.example),
        ],
        tight=True,
        spacing=10,
        width=420,
    )
    return ft.AlertDialog(
        title=tid("glossary-title", ft.Text(gloss.title), label=gloss.title),
        content=body,
        actions=[tid("glossary-close", ft.TextButton(gloss.close, on_click=close))],
    )


def info_button(host: Host, gloss: Gloss, identifier: str) -> ft.Control:
    """The ⓘ that opens ``gloss``; its label names the word ("평균 단가이(가) 뭐예요?")."""

    def open_(e: Any = None) -> None:
        host.show_dialog(_dialog(host, gloss))

    button = ft.IconButton(ft.Icons.INFO_OUTLINE, tooltip=gloss.title, on_click=open_, icon_size=20)
    return tid(identifier, button, label=gloss.title)


def glossed(host: Host, number: ft.Control, gloss: Gloss | None, identifier: str) -> ft.Control:
    """``number`` with the ⓘ of its word beside it (``number`` alone without a gloss)."""
    if gloss is None:
        return number
    # loose: a short number keeps its ⓘ right beside it, a long sentence wraps instead of overflowing
    fitted = ft.Container(number, expand=True, expand_loose=True)
    return ft.Row(
        [fitted, info_button(host, gloss, identifier)],
        spacing=0,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
