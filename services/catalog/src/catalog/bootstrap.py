"""The composition root of the catalog service: what it runs and what it consumes."""

from catalog.config import Settings
from catalog.entrypoints.jobs import jobs
from catalog.entrypoints.subscriptions import subscriptions
from catalog.service_layer.demo_lineup import seed
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="catalog",
    settings_class=Settings,
    app_factory="catalog.entrypoints.app:create_app",
    uow_class=CatalogUnitOfWork,
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
)
