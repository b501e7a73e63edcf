"""The ordering worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ordering.config import Settings
from ordering.service_layer import notices
from ordering.service_layer.unit_of_work import new_uow
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """Activation notices due before the start (R18) and the 30-day document rule (R12)."""
    settings = cast(Settings, runtime.settings)

    async def activation_notices() -> None:
        async with new_uow(runtime) as uow:
            await notices.issue_due_activation_notices(uow=uow)

    async def document_deadline() -> None:
        async with new_uow(runtime) as uow:
            await notices.reject_orders_without_documents(
                uow=uow, wait_days=settings.document_wait_days
            )

    interval = settings.job_interval_seconds
    return (
        PeriodicJob("ordering.activation_notices", interval, activation_notices),
        PeriodicJob("ordering.document_deadline", interval, document_deadline),
    )
