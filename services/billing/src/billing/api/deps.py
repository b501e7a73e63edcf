"""Typed dependencies of the billing routers: runtime, settings, clock, unit of work and
the calling member."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends

from billing.config import Settings
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.auth import CurrentMemberId
from servicekit.deps import ClockDep, RuntimeDep

__all__ = ["ClockDep", "MemberIdDep", "RuntimeDep", "SettingsDep", "UowDep", "UowFactoryDep"]


async def _settings(runtime: RuntimeDep) -> Settings:
    return cast(Settings, runtime.settings)


async def _uow_factory(runtime: RuntimeDep) -> Callable[[], BillingUnitOfWork]:
    return cast(Callable[[], BillingUnitOfWork], runtime.uow)


async def _uow(runtime: RuntimeDep) -> BillingUnitOfWork:
    return cast(BillingUnitOfWork, runtime.uow())


SettingsDep = Annotated[Settings, Depends(_settings)]
#: A billing unit of work (not entered yet: ``async with uow:``).
UowDep = Annotated[BillingUnitOfWork, Depends(_uow)]
#: Makes billing units of work (the billing run commits batch by batch).
UowFactoryDep = Annotated[Callable[[], BillingUnitOfWork], Depends(_uow_factory)]
#: The calling member's id (their token's subject).
MemberIdDep = CurrentMemberId
