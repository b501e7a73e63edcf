"""Settings of the gateway (environment prefix `GATEWAY_`).

Upstreams: each service has one setting holding a comma-separated list of base
URLs (``GATEWAY_ORDERING_URLS=http://ordering-a:8003,http://ordering-b:8003``).
A host name among them that resolves to several addresses (Compose's
``--scale``) is balanced across those addresses as well.

Rate limits: ``GATEWAY_RATE_LIMIT_PROFILE=standard`` (the default) applies the
limits below. ``GATEWAY_RATE_LIMIT_PROFILE=benchmark`` lifts every limit to
:data:`BENCHMARK_LIMIT` per window, because a load test sends everything from
127.0.0.1 and would otherwise measure the rate limiter instead of the system.
Never use it on a public deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings

#: Per-window allowance of every rate class under the ``benchmark`` profile.
BENCHMARK_LIMIT = 1_000_000_000

RateClass = Literal[
    "login", "registration", "password_reset", "verification_resend", "write", "public_read"
]

SERVICES: tuple[str, ...] = ("identity", "catalog", "ordering", "billing", "notification")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` requests per ``window_seconds`` for one caller."""

    limit: int
    window_seconds: int


class Settings(ServiceSettings):
    """Every setting of the gateway; each has a local-mode default."""

    service_name: ClassVar[str] = "gateway"
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    identity_urls: str = Field(
        default="http://127.0.0.1:8001", description="Base URLs of identity (comma-separated)."
    )
    catalog_urls: str = Field(
        default="http://127.0.0.1:8002", description="Base URLs of catalog (comma-separated)."
    )
    ordering_urls: str = Field(
        default="http://127.0.0.1:8003", description="Base URLs of ordering (comma-separated)."
    )
    billing_urls: str = Field(
        default="http://127.0.0.1:8004", description="Base URLs of billing (comma-separated)."
    )
    notification_urls: str = Field(
        default="http://127.0.0.1:8005",
        description="Base URLs of notification (comma-separated).",
    )
    upstream_timeout_seconds: float = Field(
        default=30.0,
        description=(
            "How long an upstream may stay silent (before its answer, or between two chunks "
            "of it) before the gateway gives up with 504."
        ),
    )
    upstream_connect_timeout_seconds: float = Field(
        default=3.0, description="Timeout of opening a connection to an upstream."
    )
    upstream_max_connections: int = Field(
        default=200, description="Pooled connections to all upstreams together, per worker."
    )
    dns_cache_seconds: float = Field(
        default=5.0, description="How long a resolved upstream host name is reused."
    )
    refused_cooldown_seconds: float = Field(
        default=5.0,
        description="How long an upstream address that refused a connection is skipped.",
    )
    max_body_bytes: int = Field(
        default=12 * 1024 * 1024,
        description="Largest request body accepted (a 10 MB document must pass); 413 above.",
    )
    maintenance_cache_seconds: float = Field(
        default=1.5,
        description="How long the active maintenance windows read from Redis are reused.",
    )
    openapi_cache_seconds: float = Field(
        default=30.0, description="How long the merged OpenAPI document is reused."
    )
    rate_limit_profile: Literal["standard", "benchmark"] = Field(
        default="standard",
        description="`benchmark` lifts every rate limit (load tests come from one address).",
    )
    login_rate_limit: int = Field(default=10, description="Login attempts per IP per window.")
    login_rate_window_seconds: int = Field(default=60, description="Window of the login limit.")
    registration_rate_limit: int = Field(default=5, description="Registrations per IP per window.")
    registration_rate_window_seconds: int = Field(
        default=600, description="Window of the registration limit."
    )
    password_reset_rate_limit: int = Field(
        default=5, description="Password-reset requests and confirmations per IP per window."
    )
    password_reset_rate_window_seconds: int = Field(
        default=600, description="Window of the password-reset limit."
    )
    verification_resend_rate_limit: int = Field(
        default=5, description="Verification-link resend requests per IP per window."
    )
    verification_resend_rate_window_seconds: int = Field(
        default=600, description="Window of the verification-resend limit."
    )
    write_rate_limit: int = Field(
        default=120,
        description="Writes (POST/PUT/PATCH/DELETE) per member (per IP when anonymous) per window.",
    )
    write_rate_window_seconds: int = Field(default=60, description="Window of the write limit.")
    public_read_rate_limit: int = Field(
        default=600,
        description=(
            "Reads of the public routes (the lineup, searches, notices) per IP per window;"
            " a token does not lift it (the gateway does not verify one there)."
        ),
    )
    public_read_rate_window_seconds: int = Field(
        default=60, description="Window of the public-read limit."
    )
    metrics_port: int = Field(
        default=0,
        description=(
            "Port of the gateway's /metrics for Prometheus, beside the public port and never"
            " published (0: none; Compose and Kubernetes set 9100)."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Addresses of proxies in front of the gateway whose X-Forwarded-For is believed "
            "(comma-separated, `*` for any); empty: the peer address is the client."
        ),
    )
    web_root: str = Field(
        default="web/dist",
        description="Folder of the built web client, served at `/` when it exists.",
    )

    @field_validator(
        "identity_urls", "catalog_urls", "ordering_urls", "billing_urls", "notification_urls"
    )
    @classmethod
    def _plain_http_base_urls(cls, value: str) -> str:
        # Upstreams live on the private network; TLS ends in front of the gateway.
        # Plain HTTP is what lets the balancer dial a resolved address directly.
        urls = _split(value)
        if not urls:
            raise ValueError("every service needs at least one upstream base URL")
        for url in urls:
            if not url.startswith("http://"):
                raise ValueError(f"upstream base URL must start with http://: {url!r}")
        return value

    def upstream_urls(self) -> dict[str, list[str]]:
        """Each service's base URLs, without trailing slashes."""
        return {
            name: [url.rstrip("/") for url in _split(getattr(self, f"{name}_urls"))]
            for name in SERVICES
        }

    def rate_limits(self) -> dict[RateClass, RateLimit]:
        """The limit of each rate class under the chosen profile."""
        limits: dict[RateClass, RateLimit] = {
            "login": RateLimit(self.login_rate_limit, self.login_rate_window_seconds),
            "registration": RateLimit(
                self.registration_rate_limit, self.registration_rate_window_seconds
            ),
            "password_reset": RateLimit(
                self.password_reset_rate_limit, self.password_reset_rate_window_seconds
            ),
            "verification_resend": RateLimit(
                self.verification_resend_rate_limit, self.verification_resend_rate_window_seconds
            ),
            "write": RateLimit(self.write_rate_limit, self.write_rate_window_seconds),
            "public_read": RateLimit(
                self.public_read_rate_limit, self.public_read_rate_window_seconds
            ),
        }
        if self.rate_limit_profile == "benchmark":
            return {
                name: RateLimit(BENCHMARK_LIMIT, limit.window_seconds)
                for name, limit in limits.items()
            }
        return limits


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
