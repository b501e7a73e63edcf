"""The composition root of the notification service: what it runs and what it consumes."""

from collections.abc import Sequence

from notification.config import Settings
from notification.entrypoints.subscriptions import subscriptions
from notification.service_layer.maintenance import publish_maintenance
from notification.service_layer.sender import DeliverySender
from servicekit.cli import ServiceDefinition
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """The sender (mails recorded deliveries, R27) and the maintenance refresh (R1)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    sender = DeliverySender(sessions=runtime.sessions, settings=settings)
    return (
        # Each run lasts delivery_cycle_seconds and wakes on NOTIFY; the gap between runs
        # only lets another replica take the lock.
        PeriodicJob("notification.delivery.send", 0.05, sender.run_cycle),
        PeriodicJob(
            "notification.maintenance.refresh",
            settings.maintenance_refresh_seconds,
            lambda: publish_maintenance(runtime),
        ),
    )


SERVICE = ServiceDefinition(
    name="notification",
    settings_class=Settings,
    app_factory="notification.entrypoints.app:create_app",
    subscriptions=subscriptions,
    jobs=jobs,
)
