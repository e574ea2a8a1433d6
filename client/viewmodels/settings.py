"""Settings: the app's language and theme. The app applies a choice (re-renders, switches Flutter's
locale and theme); the preferences file remembers it."""

from __future__ import annotations

from collections.abc import Callable

from .base import Observable, Tools
from .prefs import Prefs

__all__ = ["SettingsVM"]


class SettingsVM(Observable):
    def __init__(
        self, tools: Tools, prefs: Prefs, *, apply_locale: Callable[[str], None],
        apply_dark: Callable[[bool], None],
    ) -> None:  # fmt: skip
        super().__init__()
        self.tools, self.prefs = tools, prefs
        self._apply_locale, self._apply_dark = apply_locale, apply_dark

    @property
    def locales(self) -> tuple[str, ...]:
        return self.tools.tr.locales

    @property
    def locale(self) -> str:
        return self.tools.tr.locale

    @property
    def dark(self) -> bool:
        return self.prefs.dark

    def set_locale(self, locale: str) -> None:
        if locale in self.locales and locale != self.locale:
            self._apply_locale(locale)

    def set_dark(self, dark: bool) -> None:
        self._apply_dark(dark)
        self.changed()
