"""Dependencies shared by the notification routers.

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from notification.adapters.maintenance_board import MaintenanceBoard
from notification.service_layer.unit_of_work import NotificationUnitOfWork, new_uow
from servicekit.deps import ClockDep as ClockDep
from servicekit.runtime import Runtime


async def _uow(request: Request) -> NotificationUnitOfWork:
    runtime: Runtime = request.app.state.runtime
    return new_uow(runtime)


async def _board(request: Request) -> MaintenanceBoard:
    runtime: Runtime = request.app.state.runtime
    return MaintenanceBoard(runtime.redis, runtime.settings.redis_namespace)


#: A new unit of work (not entered: the route opens it where the transaction starts).
UowDep = Annotated[NotificationUnitOfWork, Depends(_uow)]
#: Where the gateway reads the maintenance windows (R1).
BoardDep = Annotated[MaintenanceBoard, Depends(_board)]
