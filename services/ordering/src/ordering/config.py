"""Settings of the ordering service (environment prefix `ORDERING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the ordering service; each has a local-mode default."""

    service_name: ClassVar[str] = "ordering"
    model_config = SettingsConfigDict(env_prefix="ORDERING_", extra="ignore")
