"""The composition root of the billing service: what it runs and what it consumes."""

from billing.config import Settings
from billing.entrypoints.jobs import jobs
from billing.entrypoints.subscriptions import subscriptions
from billing.service_layer.demo_billing import seed
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="billing",
    settings_class=Settings,
    app_factory="billing.entrypoints.app:create_app",
    uow_class=BillingUnitOfWork,
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
)
