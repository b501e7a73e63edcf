"""Settings of the ordering service (environment prefix `ORDERING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.contact_center import (
    CONTACT_CENTER_HOURS_EN,
    CONTACT_CENTER_HOURS_JA,
    CONTACT_CENTER_PHONE,
)
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the ordering service; each has a local-mode default."""

    service_name: ClassVar[str] = "ordering"
    model_config = SettingsConfigDict(env_prefix="ORDERING_", extra="ignore")

    contact_center_phone: str = Field(
        default=CONTACT_CENTER_PHONE,
        description="The contact center's phone, offered when an order is too large (R14, R20).",
    )
    contact_center_hours_ja: str = Field(
        default=CONTACT_CENTER_HOURS_JA,
        description="The contact center's hours with the days it is closed, in Japanese (R14).",
    )
    contact_center_hours_en: str = Field(
        default=CONTACT_CENTER_HOURS_EN,
        description="The contact center's hours with the days it is closed, in English (R14).",
    )
    idempotency_window_hours: int = Field(
        default=24, description="How long an Idempotency-Key of POST /orders is remembered."
    )
    document_wait_days: int = Field(
        default=30,
        description="Days an order may wait for an approved identity document before it is "
        "rejected (R12).",
    )
    job_interval_seconds: float = Field(
        default=30.0,
        description="How often the worker looks for due activation notices and expired orders.",
    )
