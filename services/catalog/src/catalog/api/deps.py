"""Dependencies shared by the catalog's routers.

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request — too dear on
the lineup's read path. They only read attributes, so they never block the loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from catalog.adapters.cache import LineupCache
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.deps import ClockDep as ClockDep
from servicekit.runtime import Runtime


async def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def new_uow(request: Request) -> CatalogUnitOfWork:
    runtime: Runtime = request.app.state.runtime
    uow = runtime.uow()
    assert isinstance(uow, CatalogUnitOfWork)
    return uow


async def lineup_cache(request: Request) -> LineupCache:
    """The app's one cache of public answers (made on first use)."""
    cache: LineupCache | None = getattr(request.app.state, "lineup_cache", None)
    if cache is None:
        runtime: Runtime = request.app.state.runtime
        cache = LineupCache(runtime.redis, runtime.settings.redis_namespace)
        request.app.state.lineup_cache = cache
    return cache


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
UowDep = Annotated[CatalogUnitOfWork, Depends(new_uow)]
CacheDep = Annotated[LineupCache, Depends(lineup_cache)]
