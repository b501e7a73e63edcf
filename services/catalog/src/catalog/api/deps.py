"""Typed dependencies of the catalog's routers.

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request — too dear on
the lineup's read path. They only read attributes, so they never block the loop.
The public reads take the runtime (``RuntimeDep``) and open a unit of work only
when the cache misses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from catalog.adapters.cache import LineupCache
from catalog.service_layer.unit_of_work import CatalogUnitOfWork, catalog_uow
from servicekit.deps import ClockDep, RuntimeDep
from servicekit.runtime import Runtime

__all__ = ["CacheDep", "ClockDep", "RuntimeDep", "UowDep"]


async def new_uow(request: Request) -> CatalogUnitOfWork:
    """A new unit of work (not yet entered)."""
    runtime: Runtime = request.app.state.runtime
    return catalog_uow(runtime)


async def lineup_cache(request: Request) -> LineupCache:
    """The app's one cache of public answers (made with the app, else on first use)."""
    cache: LineupCache | None = getattr(request.app.state, "lineup_cache", None)
    if cache is None:
        runtime: Runtime = request.app.state.runtime
        cache = LineupCache(runtime.redis, runtime.settings.redis_namespace)
        request.app.state.lineup_cache = cache
    return cache


UowDep = Annotated[CatalogUnitOfWork, Depends(new_uow)]
CacheDep = Annotated[LineupCache, Depends(lineup_cache)]
