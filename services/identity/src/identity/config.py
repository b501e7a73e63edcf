"""Settings of the identity service (environment prefix `IDENTITY_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.demo import DEFAULT_DEMO_MEMBER_EMAIL, DEFAULT_DEMO_MEMBER_PASSWORD
from servicekit.settings import ServiceSettings

#: Local-mode key encrypting the token signing keys at rest; deployments override it.
DEV_SIGNING_KEY_SECRET = "bG9jYWwtb25seS1iaXptYWxsLXNpZ25pbmcta2V5ISE="


class Settings(ServiceSettings):
    """Every setting of the identity service; each has a local-mode default."""

    service_name: ClassVar[str] = "identity"
    #: Keys with a built-in local-mode value: set outside local mode or no start (R40).
    required_outside_local_mode: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.required_outside_local_mode,
        "signing_key_secret",
        "document_encryption_key",
    )
    built_in_refused: ClassVar[tuple[str, ...]] = required_outside_local_mode
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    signing_key_secret: str = Field(
        default=DEV_SIGNING_KEY_SECRET,
        description="Fernet key encrypting the private token-signing keys in the database.",
    )
    signing_key_rotation_seconds: int = Field(
        default=30 * 24 * 3600,
        description="Age after which a new signing key replaces the current one.",
    )
    access_token_ttl_seconds: int = Field(default=900, description="Access-token lifetime.")
    refresh_token_ttl_seconds: int = Field(
        default=14 * 24 * 3600, description="Lifetime of a refresh-token family."
    )
    verification_token_ttl_seconds: int = Field(
        default=24 * 3600, description="Lifetime of an email verification link (R6)."
    )
    password_reset_token_ttl_seconds: int = Field(
        default=3600, description="Lifetime of a password reset link (R10)."
    )
    email_change_token_ttl_seconds: int = Field(
        default=24 * 3600, description="Lifetime of a contact-email confirmation link (R9)."
    )
    login_challenge_ttl_seconds: int = Field(
        default=300, description="Time an operator has to enter the TOTP code after the password."
    )
    privacy_policy_version: str = Field(
        default="2024-04-01", description="Version of the privacy policy members accept (R2)."
    )
    argon2_memory_kib: int = Field(default=19_456, description="argon2id memory cost (KiB).")
    argon2_time_cost: int = Field(default=2, description="argon2id iterations.")
    argon2_parallelism: int = Field(default=1, description="argon2id lanes.")
    login_max_failures_per_account_address: int = Field(
        default=5,
        description=(
            "Failed logins for one login ID from one client address (an IPv6 client by its"
            " /64) before that pair is locked out for a while."
        ),
    )
    login_max_failures_per_account: int = Field(
        default=20,
        description=(
            "Failed logins for one login ID from all addresses together before the login ID"
            " is locked out for a while."
        ),
    )
    totp_max_failures_per_challenge: int = Field(
        default=5, description="Wrong TOTP codes after which a login challenge is ended (R29)."
    )
    totp_max_failures_per_operator: int = Field(
        default=10,
        description="Wrong TOTP codes of one operator (all challenges) before a lockout.",
    )
    login_failure_window_seconds: int = Field(
        default=900, description="Window over which failed logins are counted."
    )
    login_lockout_seconds: int = Field(default=900, description="Length of a login lockout.")
    refresh_grace_seconds: int = Field(
        default=10,
        description=(
            "How long a just-rotated refresh token is answered with the same new pair"
            " (two tabs refreshing at once) instead of revoking its family."
        ),
    )
    verification_resend_cooldown_seconds: int = Field(
        default=120, description="Least time between two verification emails to one address."
    )
    verification_resend_max_per_day: int = Field(
        default=5, description="Most verification resends to one address in 24 hours."
    )
    anonymous_answer_floor_seconds: float = Field(
        default=0.25,
        description=(
            "Least time a password-reset or resend request takes to answer, whether or not"
            " the address is a member's (R10: no timing difference)."
        ),
    )
    refresh_cookie_secure: bool = Field(
        default=True, description="Mark the refresh cookie Secure (SPEC §2)."
    )
    document_storage_dir: str = Field(
        default="var/identity-documents",
        description="Folder holding encrypted identity documents (a volume in compose).",
    )
    document_encryption_key: str = Field(
        default=DEV_SIGNING_KEY_SECRET,
        description="Fernet key encrypting identity documents at rest (R12).",
    )
    document_max_bytes: int = Field(default=10 * 1024 * 1024, description="Upload size limit.")
    document_retention_days: int = Field(
        default=90, description="Days after its review that a document file is deleted (R12)."
    )
    document_unreviewed_retention_days: int = Field(
        default=30,
        description=(
            "Days after its upload that a document still not reviewed has its file deleted"
            " (its orders are rejected after 30 days of waiting anyway, R12)."
        ),
    )
    document_max_pending: int = Field(
        default=5, description="Documents one member may have waiting for review at once."
    )
    ordering_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Base URL of ordering's /internal API (withdrawal checks, R11).",
    )
    withdrawal_recheck_seconds: float = Field(
        default=60,
        description="How often withdrawal requests ordering could not check are retried.",
    )
    totp_issuer: str = Field(default="bizmall", description="Issuer shown in authenticator apps.")
    demo_ops_email: str = Field(
        default="ops@bizmall.example",
        validation_alias="BIZMALL_DEMO_OPS_EMAIL",
        description="Local mode only: the demo operator the seed creates.",
    )
    demo_ops_password: str = Field(
        default="ops-demo-password-2024",
        validation_alias="BIZMALL_DEMO_OPS_PASSWORD",
        description="Local mode only: the demo operator's password.",
    )
    demo_member_email: str = Field(
        default=DEFAULT_DEMO_MEMBER_EMAIL,
        validation_alias="BIZMALL_DEMO_MEMBER_EMAIL",
        description="Local mode only: the demo member the seed creates with orders, "
        "contracts and invoices (empty: no demo member).",
    )
    demo_member_password: str = Field(
        default=DEFAULT_DEMO_MEMBER_PASSWORD,
        validation_alias="BIZMALL_DEMO_MEMBER_PASSWORD",
        description="Local mode only: the demo member's password.",
    )
