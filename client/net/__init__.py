"""The client's network edge: the REST/sync API client and the live WebSocket channel."""

from .api import ApiClient, ApiError, Session

__all__ = ["ApiClient", "ApiError", "Session"]
