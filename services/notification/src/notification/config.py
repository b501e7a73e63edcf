"""Settings of the notification service (environment prefix `NOTIFICATION_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the notification service; each has a local-mode default."""

    service_name: ClassVar[str] = "notification"
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")
