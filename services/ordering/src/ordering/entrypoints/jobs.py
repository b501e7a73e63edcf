"""The ordering worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ordering.config import Settings
from ordering.service_layer import notices, request_keys
from ordering.service_layer.unit_of_work import new_uow
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob

#: Idempotency-Keys are pruned hourly, like the outbox and the inbox.
PRUNE_INTERVAL_SECONDS = 3600.0


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """Activation notices due before the start (R18), the 30-day document rule (R12) and,
    hourly, the pruning of Idempotency-Keys past their 24 h (issue 19 item 17)."""
    settings = cast(Settings, runtime.settings)

    async def activation_notices() -> None:
        async with new_uow(runtime) as uow:
            await notices.issue_due_activation_notices(uow=uow)

    async def document_deadline() -> None:
        async with new_uow(runtime) as uow:
            await notices.reject_orders_without_documents(
                uow=uow, wait_days=settings.document_wait_days
            )

    async def prune_request_keys() -> None:
        await request_keys.prune_request_keys(
            uow=new_uow(runtime), window_hours=settings.idempotency_window_hours
        )

    interval = settings.job_interval_seconds
    return (
        PeriodicJob("ordering.activation_notices", interval, activation_notices),
        PeriodicJob("ordering.document_deadline", interval, document_deadline),
        PeriodicJob("ordering.request_keys.prune", PRUNE_INTERVAL_SECONDS, prune_request_keys),
    )
