"""The catalog service's HTTP app."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from catalog.adapters.cache import LineupCache
from catalog.api import ROUTERS
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from servicekit.runtime import Runtime
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env).

    The public reads' cache is made here, and its first level (this process's
    memory) is kept exact by a subscriber and a generation check that run for the
    app's lifespan (see :mod:`catalog.adapters.cache`): they start after the shared
    lifespan's setup and stop before it closes Redis.
    """
    app = service_app(SERVICE, settings, routers=ROUTERS)
    runtime: Runtime = app.state.runtime
    cache = LineupCache(runtime.redis, runtime.settings.redis_namespace)
    app.state.lineup_cache = cache
    shared: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with shared(app) as state:
            await cache.start()
            try:
                yield state
            finally:
                await cache.stop()

    app.router.lifespan_context = lifespan
    return app
