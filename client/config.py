"""The app's manifest (flet.toml) and where the app keeps its data.

flet-cli reads only pyproject's ``[tool.flet]``; the running app reads ``flet.toml`` so a family's
build and a developer's ``yongdon app`` agree on assets, fonts, locales and the default server.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = ["AppConfig", "ConfigError", "PROJECT_ROOT", "load_config", "resolve_data_dir"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MANIFEST = PROJECT_ROOT / "flet.toml"


class ConfigError(ValueError):
    """flet.toml is missing a required field or has a wrong one."""


@dataclass(frozen=True)
class AppConfig:
    identity: dict[str, str]
    assets_dir: Path  # absolute
    default_locale: str
    locales: tuple[str, ...]
    default_server_url: str
    web_port: int
    fonts: dict[str, str] = field(default_factory=dict)  # family → path relative to assets_dir
    font_family: str | None = None
    seed_color: str = "#2E7D32"
    window_width: int = 420
    window_height: int = 860

    @property
    def product(self) -> str:
        return self.identity["product"]


def load_config(path: Path = MANIFEST) -> AppConfig:
    """Read the manifest; relative paths are relative to the manifest's directory."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found") from exc
    try:
        app, identity = raw["app"], raw["identity"]
        locales = tuple(app["locales"])
        config = AppConfig(
            identity={k: str(v) for k, v in identity.items()},
            assets_dir=(path.parent / app["assets_dir"]).resolve(),
            default_locale=app["default_locale"],
            locales=locales,
            default_server_url=app["default_server_url"],
            web_port=int(app["web_port"]),
            fonts={k: str(v) for k, v in raw.get("fonts", {}).items()},
            font_family=raw.get("theme", {}).get("font_family"),
            seed_color=raw.get("theme", {}).get("seed_color", "#2E7D32"),
            window_width=int(raw.get("window", {}).get("width", 420)),
            window_height=int(raw.get("window", {}).get("height", 860)),
        )
    except KeyError as exc:
        raise ConfigError(f"{path}: missing {exc.args[0]}") from exc
    if config.default_locale not in locales:
        raise ConfigError(f"{path}: default_locale {config.default_locale!r} is not in locales")
    if config.font_family and config.font_family not in config.fonts:
        raise ConfigError(f"{path}: theme font {config.font_family!r} is not declared in [fonts]")
    return config


def resolve_data_dir(
    explicit: str | Path | None, *, env: Mapping[str, str] | None = None, product: str = "Yongdon"
) -> Path:
    """An explicit setting, else ``FLET_APP_STORAGE_DATA`` (set by ``flet run`` and mobile builds),
    else the platform's per-user data directory. Flet's StoragePaths service fails in web view."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env.get("FLET_APP_STORAGE_DATA"):
        return Path(env["FLET_APP_STORAGE_DATA"]).resolve()
    return Path(platformdirs.user_data_dir(product, product))
