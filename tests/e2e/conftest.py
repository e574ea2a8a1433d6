"""The browser tests' chromium (Debian's, driven by pip Playwright) for the journey too."""

from __future__ import annotations

import pytest

from tests.client.browser.conftest import browser

__all__ = ["browser"]

# The journey lives a family's first month in about 4 minutes; each of its waits is bounded and a
# starved CI renderer may stretch the whole to 15. Its own bound replaces the suite's 600 s
# (pyproject's ``timeout``); set here so the journey's module stays as its authors keep it.
JOURNEY_TIMEOUT_S = 1800


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name == "test_journey.py" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(JOURNEY_TIMEOUT_S))
