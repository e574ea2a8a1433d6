"""Phone or desktop: one scrolling column over a bottom bar, or (at ``WIDE_PX`` and wider) a
navigation rail beside the content, and two columns on screens that have a second one (the
portfolio beside a stock, a request beside its child). A screen builds its tabs as a bottom bar;
this module turns that bar into a rail, so both come from one list of tabs."""

from __future__ import annotations

from typing import Any

import flet as ft

from .widgets import tid

__all__ = ["WIDE_PX", "is_wide", "lay_out"]

WIDE_PX = 1024  # a laptop or a tablet held sideways: room for a rail and two columns


def is_wide(page: Any) -> bool:
    return (getattr(page, "width", None) or 0) >= WIDE_PX


def _rail(bar: ft.NavigationBar) -> ft.Control:
    rail = ft.NavigationRail(
        destinations=[ft.NavigationRailDestination(icon=d.icon, label=d.label) for d in bar.destinations],
        selected_index=bar.selected_index,
        on_change=bar.on_change,  # type: ignore[arg-type]  # the handler reads e.data or selected_index, a rail has both
        label_type=ft.NavigationRailLabelType.ALL,
        min_width=88,
    )
    return tid("nav-rail", rail)


def _column(controls: list[ft.Control], identifier: str) -> ft.Control:
    body = ft.Column(controls, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, spacing=8)
    return ft.Container(tid(identifier, body), expand=True)  # the flex on the Row's own child


def lay_out(view: ft.View, main: list[ft.Control], side: list[ft.Control] | None, wide: bool) -> None:
    """Put ``main`` (and, wide, ``side``) on ``view``, with the bar ``chrome`` left on it."""
    bar = view.navigation_bar
    if not wide or not isinstance(bar, ft.NavigationBar):
        view.scroll = ft.ScrollMode.AUTO
        view.controls = list(main)
        return
    view.navigation_bar = None
    view.scroll = None
    if side is not None:
        row = ft.Row(
            [_column(main, "main-column"), _column(side, "side-column")],
            vertical_alignment=ft.CrossAxisAlignment.START,
            spacing=24,
        )
        main = [row]
    content = ft.Column(
        main, scroll=ft.ScrollMode.AUTO, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
    )
    view.controls = [ft.Row([_rail(bar), ft.VerticalDivider(width=1), content], expand=True)]
