"""Settings of the catalog service (environment prefix `CATALOG_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the catalog service; each has a local-mode default."""

    service_name: ClassVar[str] = "catalog"
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")
