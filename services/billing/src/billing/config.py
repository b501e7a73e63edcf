"""Settings of the billing service (environment prefix `BILLING_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings

#: Local-mode key sealing members' bank details; every real deployment overrides it.
DEV_BANK_DETAILS_KEY = "ZGV2LW9ubHktYml6bWFsbC1iYW5rLWtleS0zMmJ5dGU="


class Settings(ServiceSettings):
    """Every setting of the billing service; each has a local-mode default."""

    service_name: ClassVar[str] = "billing"
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    issuer_name: str = Field(
        default="ビズモール株式会社", description="The invoice issuer's name (R25)."
    )
    issuer_registration_number: str = Field(
        default="T1234567890123",
        description="The issuer's qualified-invoice registration number: T + 13 digits (R25).",
    )
    issuer_address: str = Field(
        default="〒100-0005 東京都千代田区丸の内1-1-1", description="The issuer's address."
    )
    payee_bank_account: str = Field(
        default="みずほ銀行 丸の内支店 普通 1234567 ビズモール（カ",
        description="The bank account invoice payments are paid into (R24).",
    )
    billing_inquiry_phone: str = Field(
        default="0120-004400",
        description="The number printed on invoices to call about them (R24).",
    )
    bank_details_key: str = Field(
        default=DEV_BANK_DETAILS_KEY,
        description="Fernet key sealing members' account-transfer bank details at rest.",
    )
    account_transfer_lead_days: int = Field(
        default=61,
        description="Days an account-transfer application is expected to take (R21: ~2 months).",
    )
    transfer_day: int = Field(
        default=27,
        description="Day of the issue month on which account-transfer invoices are debited "
        "(the next business day when it is not one).",
    )
    run_batch_size: int = Field(
        default=500, description="Invoices issued per transaction of a billing run."
    )
    job_interval_seconds: float = Field(
        default=300.0,
        description="How often the worker runs due billing runs and the overdue/transfer checks.",
    )

    @field_validator("issuer_registration_number")
    @classmethod
    def _registration_number_shape(cls, value: str) -> str:
        if len(value) != 14 or value[0] != "T" or not value[1:].isdigit():
            raise ValueError("a registration number is T followed by 13 digits")
        return value
