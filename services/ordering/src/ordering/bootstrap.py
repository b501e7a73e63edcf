"""The composition root of the ordering service: what it runs and what it consumes."""

from ordering.config import Settings
from ordering.entrypoints.jobs import jobs
from ordering.entrypoints.subscriptions import subscriptions
from ordering.service_layer.demo_orders import seed
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="ordering",
    settings_class=Settings,
    app_factory="ordering.entrypoints.app:create_app",
    uow_class=OrderingUnitOfWork,
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
)
