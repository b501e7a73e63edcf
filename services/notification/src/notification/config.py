"""Settings of the notification service (environment prefix `NOTIFICATION_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Every setting of the notification service; each has a local-mode default."""

    service_name: ClassVar[str] = "notification"
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
    contact_center_phone: str = Field(default="0120-003300", description="Contact center (R14).")
    contact_center_hours_ja: str = Field(default="平日 9:00〜17:00")
    contact_center_hours_en: str = Field(default="9:00-17:00 on business days (JST)")
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
