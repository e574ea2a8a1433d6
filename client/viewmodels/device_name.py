"""What a new device is called on the family's server: the parents read it in "지우의 기기 '…'이
가족에 등록되었습니다" and on the devices screen, where "Yongdon" for every device told them nothing.

Made from what Flet reports of the platform and, in a browser, its user agent — never anything the
person typed, and nothing that identifies the person (no host name, no account).
"""

from __future__ import annotations

from ..i18n.catalog import Translator

__all__ = ["device_name"]

# Flet's PagePlatform values
_SYSTEMS = {
    "ios": "iPhone·iPad",
    "android": "Android",
    "macos": "Mac",
    "windows": "Windows PC",
    "linux": "Linux PC",
    "fuchsia": "Fuchsia",
}
# the first match names the browser (Edge and Opera also say "Chrome", Chrome also says "Safari")
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))  # fmt: skip


def device_name(tr: Translator, platform: str | None, web: bool, user_agent: str | None = None) -> str:
    """ "Linux PC의 Chrome", "Android 앱", or the app's name when the platform is unknown."""
    system = _SYSTEMS.get((platform or "").lower())
    if system is None:
        return tr("app.title")
    if not web:
        return tr("device.name_app", os=system)
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    return (
        tr("device.name_web", os=system, browser=browser) if browser else tr("device.name_browser", os=system)
    )
