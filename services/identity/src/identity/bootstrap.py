"""The composition root of the identity service: what it runs and what it consumes."""

from identity.config import Settings
from identity.entrypoints.subscriptions import subscriptions
from servicekit.cli import ServiceDefinition

SERVICE = ServiceDefinition(
    name="identity",
    settings_class=Settings,
    app_factory="identity.entrypoints.app:create_app",
    subscriptions=subscriptions,
)
