"""The operator's console at ``/admin`` (server-rendered, no family data): see ``controllers``."""

from __future__ import annotations

from typing import Any

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.template.config import TemplateConfig

from ..settings import Settings
from .controllers import TEMPLATES_DIR, admin_router
from .web import SESSION_STORE

__all__ = ["console_routes", "console_stores", "console_templates"]


def console_routes(settings: Settings) -> list[Any]:
    return [admin_router(settings)]


def console_stores(settings: Settings) -> dict[str, Store]:
    """Operator sessions: in memory for one process, in Redis when several processes share the work."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        store: Store = RedisStore.with_client(
            url=settings.redis_url, namespace=f"{settings.redis_prefix}:admin"
        )
    else:
        store = MemoryStore()
    return {SESSION_STORE: store}


def console_templates() -> TemplateConfig[Any]:
    from litestar.plugins.jinja import JinjaTemplateEngine as Engine

    return TemplateConfig(directory=TEMPLATES_DIR, engine=Engine)
