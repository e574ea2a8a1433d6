"""A new device is named by what it is, so a parent can tell the devices apart (every one was
"Yongdon" before): the system, and in a browser which browser."""

from __future__ import annotations

from client.viewmodels.device_name import device_name

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 "
    "Safari/537.36 Edg/156.0"
)
SAFARI_IPAD = "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Safari/604.1"


def test_a_device_is_named_by_its_system_and_browser(ko, en) -> None:
    assert device_name(ko.tr, "linux", True, CHROME_LINUX) == "Linux PC의 Chrome"
    assert device_name(en.tr, "linux", True, CHROME_LINUX) == "Chrome on Linux PC"
    assert device_name(en.tr, "windows", True, EDGE_WINDOWS) == "Edge on Windows PC"  # not "Chrome"
    assert device_name(ko.tr, "ios", True, SAFARI_IPAD) == "iPhone·iPad의 Safari"
    assert device_name(ko.tr, "android", False) == "Android 앱"
    assert device_name(en.tr, "macos", False) == "Mac app"
    assert device_name(en.tr, "linux", True, "curl/8") == "Browser on Linux PC"
    assert device_name(ko.tr, None, True) == "용돈"  # nothing known: the app's name
