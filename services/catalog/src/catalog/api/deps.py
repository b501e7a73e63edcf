"""Dependencies shared by the catalog's routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from catalog.adapters.cache import LineupCache
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.runtime import Runtime

#: What the app reads the current time from (``app.state.clock``; tests pin it).
Clock = Callable[[], datetime]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def new_uow(request: Request) -> CatalogUnitOfWork:
    uow = runtime_of(request).uow()
    assert isinstance(uow, CatalogUnitOfWork)
    return uow


def lineup_cache(request: Request) -> LineupCache:
    runtime = runtime_of(request)
    return LineupCache(runtime.redis, runtime.settings.redis_namespace)


def clock(request: Request) -> Clock:
    app_clock: Clock = request.app.state.clock
    return app_clock


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
UowDep = Annotated[CatalogUnitOfWork, Depends(new_uow)]
CacheDep = Annotated[LineupCache, Depends(lineup_cache)]
ClockDep = Annotated[Clock, Depends(clock)]
