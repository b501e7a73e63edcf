"""The notification worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from notification.adapters.mailer import mailer_for
from notification.adapters.maintenance_board import MaintenanceBoard
from notification.adapters.rendering import MessageComposer
from notification.adapters.wakeup import DeliveryListener
from notification.config import Settings
from notification.service_layer.maintenance import publish_maintenance
from notification.service_layer.sender import DeliverySender, SenderPolicy
from notification.service_layer.unit_of_work import new_uow
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def sender_for(runtime: Runtime) -> DeliverySender:
    """The sender with the real SMTP, templates and wake-up (R27)."""
    settings = cast(Settings, runtime.settings)
    return DeliverySender(
        uow_factory=lambda: new_uow(runtime),
        composer=MessageComposer(settings),
        mailer_factory=lambda: mailer_for(settings),
        policy=SenderPolicy(
            retry_delays=settings.delivery_retry_seconds,
            concurrency=settings.delivery_concurrency,
            cycle_seconds=settings.delivery_cycle_seconds,
            poll_seconds=settings.delivery_poll_seconds,
        ),
        listener=DeliveryListener(settings.database_url),
    )


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """The sender (mails recorded deliveries, R27) and the maintenance refresh (R1)."""
    settings = cast(Settings, runtime.settings)
    sender = sender_for(runtime)
    board = MaintenanceBoard(runtime.redis, settings.redis_namespace)

    async def refresh_maintenance() -> None:
        await publish_maintenance(uow=new_uow(runtime), board=board)

    return (
        # Each run lasts delivery_cycle_seconds and wakes on NOTIFY; the gap between runs
        # only lets another replica take the lock.
        PeriodicJob("notification.delivery.send", 0.05, sender.run_cycle),
        PeriodicJob(
            "notification.maintenance.refresh",
            settings.maintenance_refresh_seconds,
            refresh_maintenance,
        ),
    )
