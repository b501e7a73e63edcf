"""Settings of the billing service (environment prefix `BILLING_`)."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from billing.domain.zengin import to_zengin_kana
from servicekit.settings import DEV_INTERNAL_TOKEN, ServiceSettings

#: Where Debian's ``fonts-ipaexfont-gothic`` installs IPAex Gothic (the invoice font).
DEFAULT_INVOICE_FONT_PATH = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"

#: Local-mode key sealing members' bank details; every real deployment overrides it.
DEV_BANK_DETAILS_KEY = "ZGV2LW9ubHktYml6bWFsbC1iYW5rLWtleS0zMmJ5dGU="


class Settings(ServiceSettings):
    """Every setting of the billing service; each has a local-mode default. Outside
    local mode the issuer (R40) and the bank-details key must be set, and the invoice
    font must exist, or the process refuses to start."""

    service_name: ClassVar[str] = "billing"
    required_outside_local_mode: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.required_outside_local_mode,
        "bank_details_key",
        "issuer_name",
        "issuer_registration_number",
        "issuer_address",
        "payee_bank_account",
        "internal_token",
    )
    #: The issuer's name may well be the built-in one; its number, address and account
    #: are placeholders, and the keys are public in this repository.
    built_in_refused: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.built_in_refused,
        "bank_details_key",
        "internal_token",
        "issuer_registration_number",
        "issuer_address",
        "payee_bank_account",
    )
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
        default="みずほ銀行 丸の内支店 普通預金 1234567 口座名義 ビズモール株式会社",
        description="The bank account invoice payments are paid into, printed whole on the "
        "invoice (R24).",
    )
    billing_inquiry_phone: str = Field(
        default="0120-004400",
        description="The number printed on invoices to call about them (R24).",
    )
    internal_token: SecretStr = Field(
        default=SecretStr(DEV_INTERNAL_TOKEN),
        description="Token other services show on billing's /internal routes (notification "
        "fetching an invoice PDF, R41).",
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
    # Account-transfer collection (R35): the mall as the bank knows it, in the Zengin
    # debit request file's header. Local-mode defaults are a demo consignor.
    collection_consignor_code: str = Field(
        default="1234567890",
        description="委託者コード: the 10-digit consignor code the bank assigned (R35).",
    )
    collection_consignor_name: str = Field(
        default="ﾋﾞｽﾞﾓ-ﾙ(ｶ",
        description="委託者名 in katakana (converted to half-width in the file, 40 at most).",
    )
    collection_bank_code: str = Field(
        default="0001", description="取引銀行番号 of the collecting bank."
    )
    collection_bank_name: str = Field(default="ﾐｽﾞﾎ", description="取引銀行名 in katakana.")
    collection_branch_code: str = Field(
        default="001", description="取引支店番号 of the collecting branch."
    )
    collection_branch_name: str = Field(default="ﾏﾙﾉｳﾁ", description="取引支店名 in katakana.")
    collection_account_type: Literal["ordinary", "current"] = Field(
        default="ordinary", description="預金種目 of the account debits are collected into."
    )
    collection_account_number: str = Field(
        default="1234567",
        description="口座番号 of the account debits are collected into.",
    )
    collection_fallback_business_days: int = Field(
        default=10,
        ge=1,
        description="Business days after a failed debit's result until the invoice, back on "
        "invoice payment, is due (R35).",
    )
    run_batch_size: int = Field(
        default=500, description="Invoices issued per transaction of a billing run."
    )
    job_interval_seconds: float = Field(
        default=300.0,
        description="How often the worker runs due billing runs and the overdue/transfer checks.",
    )
    run_poll_seconds: float = Field(
        default=2.0,
        description="How often the worker looks for queued billing runs (R39: ops start "
        "runs in the background and follow their progress).",
    )

    invoice_font_path: str = Field(
        default=DEFAULT_INVOICE_FONT_PATH,
        description="TrueType font embedded in invoice PDFs (IPAex Gothic from Debian's "
        "fonts-ipaexfont-gothic). Outside local mode a missing file stops the start.",
    )

    def startup_problems(self) -> list[str]:
        """The common checks; in any mode the registration number's shape (checked at
        start, not on reading, so that manifests holding a secret-store template still
        parse); outside local mode the invoice font's file."""
        problems = super().startup_problems()
        number = self.issuer_registration_number
        if len(number) != 14 or number[0] != "T" or not number[1:].isdigit():
            problems.append(
                f"{self.variable_of('issuer_registration_number')} must be T followed by "
                "13 digits (the qualified-invoice registration number, R25)"
            )
        if not self.local_mode and not os.path.isfile(self.invoice_font_path):
            problems.append(
                f"{self.variable_of('invoice_font_path')}: no font file at "
                f"{self.invoice_font_path} (install fonts-ipaexfont-gothic or point it "
                "at a TrueType font that allows embedding)"
            )
        problems.extend(self._collection_problems())
        return problems

    def _collection_problems(self) -> list[str]:
        """The consignor's codes as the Zengin file needs them, and its names in the
        characters the file can hold (R35)."""
        problems = []
        for name, digits in (
            ("collection_consignor_code", 10),
            ("collection_bank_code", 4),
            ("collection_branch_code", 3),
            ("collection_account_number", 7),
        ):
            value = getattr(self, name)
            if len(value) != digits or not value.isdigit():
                problems.append(f"{self.variable_of(name)} must be {digits} digits (R35)")
        for name in ("collection_consignor_name", "collection_bank_name", "collection_branch_name"):
            try:
                to_zengin_kana(getattr(self, name))
            except ValueError as error:
                problems.append(f"{self.variable_of(name)}: {error} (katakana only, R35)")
        return problems
