"""What the tests of rate limits share (the ``limited`` fixture is in ``conftest.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["refused"]


def refused(response: Any) -> dict[str, Any]:
    """The body of a 429 ``RATE_LIMITED`` answer, after checking its ``Retry-After``."""
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body: dict[str, Any] = response.json()
    assert body["code"] == "RATE_LIMITED"
    assert int(body["retry_after"]) == int(response.headers["Retry-After"])
    return body
