"""Settings of the identity service (environment prefix `IDENTITY_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the identity service; each has a local-mode default."""

    service_name: ClassVar[str] = "identity"
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")
