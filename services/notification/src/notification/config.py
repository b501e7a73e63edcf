"""Settings of the notification service (environment prefix `NOTIFICATION_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.contact_center import (
    CONTACT_CENTER_HOURS_EN,
    CONTACT_CENTER_HOURS_JA,
    CONTACT_CENTER_PHONE,
)
from servicekit.settings import DEV_INTERNAL_TOKEN, ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the notification service; each has a local-mode default."""

    service_name: ClassVar[str] = "notification"
    #: Built-in local-mode secrets: set outside local mode or no start (R40).
    required_outside_local_mode: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.required_outside_local_mode,
        "billing_internal_token",
    )
    built_in_refused: ClassVar[tuple[str, ...]] = required_outside_local_mode
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    smtp_host: str = Field(default="127.0.0.1", description="SMTP server emails are sent to.")
    smtp_port: int = Field(default=1025, description="Port of the SMTP server.")
    smtp_username: str | None = Field(
        default=None, description="SMTP login, if the relay needs one."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(default=10.0, description="Timeout of one SMTP exchange.")
    mail_from: str = Field(
        default="bizmall <no-reply@bizmall.example>", description="Sender of every email."
    )
    web_base_url: str = Field(
        default="http://localhost:8000",
        description="Public address of the web client; every link in an email starts with it.",
    )
    billing_url: str = Field(
        default="http://127.0.0.1:8004",
        description="Base URL of billing's /internal API (the invoice PDF mailed to a "
        "withdrawn member, R41).",
    )
    billing_internal_token: SecretStr = Field(
        default=SecretStr(DEV_INTERNAL_TOKEN),
        description="Token shown to billing's /internal API (billing's BILLING_INTERNAL_TOKEN).",
    )
    contact_center_phone: str = Field(
        default=CONTACT_CENTER_PHONE, description="The contact center's phone (R14), in emails."
    )
    contact_center_hours_ja: str = Field(
        default=CONTACT_CENTER_HOURS_JA,
        description="The contact center's hours with the days it is closed, in Japanese (R14).",
    )
    contact_center_hours_en: str = Field(
        default=CONTACT_CENTER_HOURS_EN,
        description="The contact center's hours with the days it is closed, in English (R14).",
    )
    delivery_retry_seconds: list[float] = Field(
        default=[30, 120, 600, 1800, 7200],
        description="Growing delays between SMTP attempts of one email; one more attempt "
        "than delays, then the delivery is marked failed for ops.",
    )
    delivery_poll_seconds: float = Field(
        default=1.0,
        description="Fallback poll of the sender; recorded deliveries wake it at once (NOTIFY).",
    )
    delivery_cycle_seconds: float = Field(
        default=5.0,
        description="How long one run of the sender job lasts before it yields its lock "
        "(bounds the worker's shutdown wait).",
    )
    delivery_concurrency: int = Field(
        default=4, ge=1, description="SMTP connections the sender uses in parallel."
    )
    maintenance_refresh_seconds: float = Field(
        default=5.0,
        description="How often the active maintenance windows are rewritten to Redis (R1).",
    )

    @property
    def delivery_max_attempts(self) -> int:
        """SMTP attempts of one email before it is marked failed."""
        return len(self.delivery_retry_seconds) + 1
