"""The catalog service's HTTP app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from catalog.adapters.cache import LineupCache
from catalog.api import ROUTERS
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from servicekit.runtime import Runtime
from servicekit.service import service_app


@asynccontextmanager
async def _first_level(app: FastAPI) -> AsyncIterator[None]:
    # The cache's subscriber and generation check, for as long as the app serves.
    cache: LineupCache = app.state.lineup_cache
    await cache.start()
    try:
        yield
    finally:
        await cache.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env).

    The public reads' cache is made here, and its first level (this process's
    memory) is kept exact by a subscriber and a generation check that run for the
    app's lifespan (see :mod:`catalog.adapters.cache`): they start after the shared
    runtime is up and stop before it closes Redis.
    """
    app = service_app(SERVICE, settings, routers=ROUTERS, resources=_first_level)
    runtime: Runtime = app.state.runtime
    app.state.lineup_cache = LineupCache(runtime.redis, runtime.settings.redis_namespace)
    return app
