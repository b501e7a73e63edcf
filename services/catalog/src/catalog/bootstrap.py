"""The composition root of the catalog service: what it runs and what it consumes."""

from catalog.config import Settings
from catalog.entrypoints.subscriptions import subscriptions
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="catalog",
    settings_class=Settings,
    app_factory="catalog.entrypoints.app:create_app",
    subscriptions=subscriptions,
)
