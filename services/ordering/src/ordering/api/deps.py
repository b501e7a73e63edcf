"""Dependencies shared by the ordering routers: runtime, clock, settings, unit of work.

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from ordering.config import Settings
from ordering.service_layer.unit_of_work import OrderingUnitOfWork, new_uow
from servicekit.deps import ClockDep, RuntimeDep

__all__ = ["ClockDep", "RuntimeDep", "SettingsDep", "UowDep"]


async def _settings(runtime: RuntimeDep) -> Settings:
    return cast(Settings, runtime.settings)


async def _uow(runtime: RuntimeDep) -> OrderingUnitOfWork:
    return new_uow(runtime)


SettingsDep = Annotated[Settings, Depends(_settings)]
#: A new unit of work for the request; the route enters it (``async with uow:``).
UowDep = Annotated[OrderingUnitOfWork, Depends(_uow)]
