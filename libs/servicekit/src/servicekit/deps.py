"""FastAPI dependencies every service shares: its runtime and its clock.

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request. They only
read attributes, so they never block the loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from servicekit.clock import Clock
from servicekit.runtime import Runtime


async def runtime_of(request: Request) -> Runtime:
    """The process resources of the app serving ``request``."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def clock_of(request: Request) -> Clock:
    """The service's one clock (``runtime.clock``; tests pin it)."""
    runtime: Runtime = request.app.state.runtime
    return runtime.clock


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
ClockDep = Annotated[Clock, Depends(clock_of)]
