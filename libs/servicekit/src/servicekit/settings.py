"""Settings shared by every bizmall app.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``IDENTITY_``, ``CATALOG_``, ...) and its own default database name, so a
service reads ``IDENTITY_DATABASE_URL`` while the catalog reads
``CATALOG_DATABASE_URL``. Every value has a default that works in local mode
(``make dev``) with PostgreSQL, RabbitMQ and Redis on their standard ports.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Local-mode key for encrypting secret event fields. Compose and Kubernetes
#: override it; it is only a default so that ``make dev`` needs no configuration.
DEV_EVENT_SECRET_KEY = "ZGV2LW9ubHktYml6bWFsbC1ldmVudC1rZXktMzJiISE="

#: Local-mode token a service shows on another's ``/internal/`` routes that need one (billing's
#: invoice PDF for notification, R41). Compose and Kubernetes override it.
DEV_INTERNAL_TOKEN = "dev-only-bizmall-internal-token"

#: The variable declaring local mode (``make dev``, the test suites): only there may
#: a process run on the built-in keys and issuer (R40). Unset or false everywhere else.
LOCAL_MODE_VARIABLE = "BIZMALL_LOCAL_MODE"

#: Local-mode ports: one per app, the gateway on 8000.
LOCAL_PORTS: dict[str, int] = {
    "gateway": 8000,
    "identity": 8001,
    "catalog": 8002,
    "ordering": 8003,
    "billing": 8004,
    "notification": 8005,
}


class SettingsRefused(RuntimeError):
    """A process outside local mode lacks settings it has no safe built-in value for."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ServiceSettings(BaseSettings):
    """Settings every service reads (with its own prefix)."""

    #: The service's name; subclasses set it (``identity``, ``catalog`` ...).
    service_name: ClassVar[str] = "service"
    #: Settings whose built-in value serves local mode only (keys, the issuer): outside
    #: local mode each must be set explicitly and non-empty, or the process refuses to
    #: start naming it (R40). Subclasses extend the tuple.
    required_outside_local_mode: ClassVar[tuple[str, ...]] = ("event_secret_key",)
    #: Of those, the ones whose built-in value is refused even when set explicitly
    #: (keys everybody can read in this repository, placeholder issuer data).
    built_in_refused: ClassVar[tuple[str, ...]] = ("event_secret_key",)

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the service's own database (asyncpg driver).",
    )
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ URL.",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL.")
    redis_namespace: str = Field(
        default="bizmall",
        description="Prefix of every Redis key (tests use a unique one per run).",
    )
    event_exchange: str = Field(
        default="bizmall.events",
        description="Name of the durable topic exchange all integration events go through.",
    )
    queue_prefix: str = Field(
        default="bizmall",
        description="Prefix of every queue this service declares (tests use a unique one).",
    )
    event_secret_key: str = Field(
        default=DEV_EVENT_SECRET_KEY,
        description="Fernet key encrypting secret event fields (tokens) for their consumer.",
    )
    jwks_url: str = Field(
        default="http://127.0.0.1:8001/internal/jwks",
        description="Where the identity service publishes its token signing keys.",
    )
    db_pool_size: int = Field(
        default=5,
        description="Database connections kept per process (as many again may overflow).",
    )
    log_level: str = Field(default="INFO", description="Log level.")
    host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to.")
    port: int = Field(default=0, description="Port the HTTP API binds to (0: the local default).")
    workers: int = Field(default=1, description="Uvicorn worker processes of the HTTP API.")
    retry_delays_ms: list[int] = Field(
        default=[1_000, 5_000, 30_000, 120_000],
        description="Delay tiers (ms) between attempts of a failing event handler.",
    )
    max_attempts: int = Field(
        default=5,
        description="Attempts of a failing event handler before the event is dead-lettered.",
    )
    inbox_retention_days: int = Field(
        default=30,
        ge=1,
        description=(
            "Days a handled event's inbox row is kept to recognise redeliveries, then pruned"
            " (duplicates arrive within minutes; the outbox keeps sent events 7 days)."
        ),
    )
    outbox_poll_seconds: float = Field(
        default=2.0,
        description="Fallback poll of the outbox relay; commits wake it at once via NOTIFY.",
    )
    http_timeout_seconds: float = Field(
        default=3.0, description="Timeout of synchronous calls to other services."
    )
    worker_metrics_port: int = Field(
        default=0,
        description=(
            "Port of the worker process's /metrics, /healthz and /readyz"
            " (0: none; local mode and the deployments set one)."
        ),
    )

    local_mode: bool = Field(
        default=False,
        validation_alias=LOCAL_MODE_VARIABLE,
        description=(
            "Local mode (`make dev` and the test suites set it): the built-in keys and"
            " issuer may be used. Anywhere else a process without its own keys (and"
            " billing without its issuer) refuses to start, naming the setting (R40)."
        ),
    )

    def variable_of(self, name: str) -> str:
        """The environment variable this process reads for the field ``name``."""
        alias = type(self).model_fields[name].validation_alias
        if isinstance(alias, str):
            return alias
        prefix = str(self.model_config.get("env_prefix", ""))
        return f"{prefix}{name.upper()}"

    def startup_problems(self) -> list[str]:
        """What keeps this process from starting: outside local mode, each setting of
        :attr:`required_outside_local_mode` not set or empty, and each of
        :attr:`built_in_refused` set to its built-in value. Subclasses add their own
        checks (call ``super()``). Never the values."""
        problems: list[str] = []
        if self.local_mode:
            return problems
        for name in self.required_outside_local_mode:
            value, default = _plain(getattr(self, name)), _plain(_default_of(self, name))
            variable = self.variable_of(name)
            if name not in self.model_fields_set or value in ("", None):
                problems.append(
                    f"{variable} is not set (its built-in value is for local mode only)"
                )
            elif name in self.built_in_refused and value == default:
                problems.append(f"{variable} is the built-in local-mode value: set your own")
        return problems

    def check_startup(self) -> None:
        """Raise :class:`SettingsRefused` listing :meth:`startup_problems`, if any."""
        problems = self.startup_problems()
        if problems:
            raise SettingsRefused(problems)

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = (
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/bizmall_{self.service_name}"
            )
        if not self.port:
            self.port = LOCAL_PORTS.get(self.service_name, 8080)


def _default_of(settings: ServiceSettings, name: str) -> Any:
    return type(settings).model_fields[name].get_default(call_default_factory=True)


def _plain(value: Any) -> Any:
    """A secret's value (``SecretStr``), or the value itself."""
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else value
