"""The composition root of the notification service: what it runs and what it consumes."""

from notification.config import Settings
from notification.entrypoints.jobs import jobs
from notification.entrypoints.subscriptions import subscriptions
from notification.service_layer.demo_inquiry import seed
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="notification",
    settings_class=Settings,
    app_factory="notification.entrypoints.app:create_app",
    uow_class=NotificationUnitOfWork,
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
)
