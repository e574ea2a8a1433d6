"""Loading the catalogs and looking text up."""

from __future__ import annotations

import json
import os
import string
from collections.abc import Callable, Mapping
from pathlib import Path

from sync.korean import fix_particles

__all__ = ["Catalogs", "Translator", "load_catalogs", "placeholders", "system_locale"]

CATALOG_DIR = Path(__file__).resolve().parent
Catalogs = dict[str, dict[str, str]]  # locale → key → text


def load_catalogs(root: Path = CATALOG_DIR) -> Catalogs:
    """Every ``<locale>/*.json`` merged per locale; a key defined by two areas is an error."""
    catalogs: Catalogs = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        merged: dict[str, str] = {}
        for file in sorted(folder.glob("*.json")):
            for key, text in json.loads(file.read_text(encoding="utf-8")).items():
                if key in merged:
                    raise ValueError(f"{folder.name}: key {key!r} defined twice ({file.name})")
                merged[key] = text
        catalogs[folder.name] = merged
    return catalogs


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def system_locale(supported: tuple[str, ...], default: str, env: Mapping[str, str] | None = None) -> str:
    """The first supported language named by the POSIX locale variables, else ``default``."""
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        for part in value.split(":"):
            lang = part.split(".")[0].split("_")[0].split("-")[0].lower()
            if lang in supported:
                return lang
    return default


class Translator:
    """Text for the current locale; switching the locale tells every listener (views re-render)."""

    def __init__(self, catalogs: Catalogs, locale: str) -> None:
        if locale not in catalogs:
            raise ValueError(f"no catalog for locale {locale!r}")
        self._catalogs = catalogs
        self.locale = locale
        self._listeners: list[Callable[[], None]] = []

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._catalogs)

    def set_locale(self, locale: str) -> None:
        if locale not in self._catalogs:
            raise ValueError(f"no catalog for locale {locale!r}")
        self.locale = locale
        for fn in list(self._listeners):
            fn()

    def on_change(self, fn: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def has(self, key: str) -> bool:
        return key in self._catalogs[self.locale]

    def __call__(self, key: str, **values: object) -> str:
        # A missing key shows itself instead of crashing a child's screen; the catalog test
        # keeps that from ever shipping.
        text = self._catalogs[self.locale].get(key, key)
        if not values:
            return text
        text = text.format(**values)
        # "{amount}을(를)" reads "157,080 G₩을" once the amount is known (sync/korean.py)
        return fix_particles(text) if self.locale == "ko" else text
