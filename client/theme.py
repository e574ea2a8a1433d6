"""Light and dark themes with the shipped Korean font.

Flet web has no Korean font of its own (Hangul renders as empty boxes), so the manifest's font is
registered in ``page.fonts`` and made the theme font for both modes.
"""

from __future__ import annotations

import flet as ft

from .config import AppConfig

__all__ = ["MIN_TOUCH", "apply_theme", "build_theme"]

MIN_TOUCH = 56  # px: comfortably above Material's 48 px minimum for small fingers


def build_theme(config: AppConfig) -> ft.Theme:
    # page.theme is used in light mode and page.dark_theme in dark mode; Flutter derives each
    # mode's colours from the same seed.
    return ft.Theme(color_scheme_seed=config.seed_color, font_family=config.font_family, use_material3=True)


def apply_theme(page: ft.Page, config: AppConfig, *, dark: bool = False) -> None:
    page.fonts = dict(config.fonts)
    page.theme = build_theme(config)
    page.dark_theme = build_theme(config)
    page.theme_mode = ft.ThemeMode.DARK if dark else ft.ThemeMode.LIGHT
