"""Settings of the billing service (environment prefix `BILLING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the billing service; each has a local-mode default."""

    service_name: ClassVar[str] = "billing"
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")
