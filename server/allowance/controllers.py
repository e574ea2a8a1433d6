"""HTTP routes of this area (filled in by its service work)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
