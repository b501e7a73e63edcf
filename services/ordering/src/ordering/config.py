"""Settings of the ordering service (environment prefix `ORDERING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the ordering service; each has a local-mode default."""

    service_name: ClassVar[str] = "ordering"
    model_config = SettingsConfigDict(env_prefix="ORDERING_", extra="ignore")

    contact_center_phone: str = Field(
        default="0120-003300",
        description="The contact center's phone, offered when an order is too large (R14, R20).",
    )
    contact_center_hours_ja: str = Field(
        default="平日9:00〜17:00", description="The contact center's hours, in Japanese."
    )
    contact_center_hours_en: str = Field(
        default="9:00–17:00 on business days", description="The contact center's hours, in English."
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
