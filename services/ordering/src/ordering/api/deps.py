"""Dependencies shared by the ordering routers: runtime, settings, clock."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from ordering.config import Settings
from servicekit.clock import Clock
from servicekit.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


def _settings(request: Request) -> Settings:
    return cast(Settings, _runtime(request).settings)


def _clock(request: Request) -> Clock:
    return _runtime(request).clock


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
