"""What local mode runs: every process with its command, port and environment.

The processes and variable names are the ones ``compose.yaml`` uses, so local
mode and Compose cannot drift apart (``tests/deploy`` checks it):
``python -m <app> migrate|api|worker|seed`` reading ``<APP>_...`` settings.

Ports: the gateway listens on ``DEVRUN_PORT_BASE`` (8000). Replica ``r``
(0, 1, 2 ...) of a service listens on ``base + offset + 10 * r``, where the
offset is the service's place in the local port list (identity 1, catalog 2,
ordering 3, billing 4, notification 5): ``ORDERING_REPLICAS=3`` gives
ordering 8003, 8013 and 8023. Worker ``r`` of a service serves ``/metrics``,
``/healthz`` and ``/readyz`` five ports above API replica ``r`` (ordering's
first worker 8008). The gateway serves ``/metrics`` on ``base + 99`` (8099), away
from every replica's ports. ``<APP>_REPLICAS`` scales a service's API and
worker processes together; ``<APP>_WORKER_REPLICAS`` overrides the workers' count.

Isolation (a second stack beside a running one, e.g. for a smoke test):
``DEVRUN_PORT_BASE`` moves every port, ``DEVRUN_DB_PREFIX`` renames the
databases (``<prefix><service>``), ``DEVRUN_NAMESPACE`` renames the exchange
(``<ns>.events``), the queue prefix and the Redis namespace. A variable set
explicitly in the environment (``ORDERING_DATABASE_URL`` ...) always wins,
except ``<APP>_HOST`` and ``<APP>_PORT``, which the port scheme owns.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from pydantic_settings import BaseSettings

from servicekit.settings import LOCAL_MODE_VARIABLE, LOCAL_PORTS

SERVICES: tuple[str, ...] = ("identity", "catalog", "ordering", "billing", "notification")
GATEWAY = "gateway"
APPS: tuple[str, ...] = (*SERVICES, GATEWAY)
HOST = "127.0.0.1"
#: Port distance between two replicas of one service.
REPLICA_STRIDE = 10
#: A worker's metrics and probes port is its API's plus this.
WORKER_PORT_OFFSET = 5
#: The gateway's /metrics port is the base plus this (past nine replicas' ports).
GATEWAY_METRICS_OFFSET = 99


@dataclass(frozen=True)
class Proc:
    """One process of local mode."""

    name: str
    app: str
    role: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None
    #: Where the process serves /metrics when not on ``port`` (the gateway's own port).
    metrics_port: int | None = None

    @property
    def metrics_url(self) -> str | None:
        """Where the process serves Prometheus metrics, for HTTP processes."""
        port = self.metrics_port or self.port
        return f"http://{HOST}:{port}/metrics" if port else None

    @property
    def ready_url(self) -> str | None:
        """Where the process answers readiness, for HTTP processes."""
        return f"http://{HOST}:{self.port}/readyz" if self.port else None


@dataclass(frozen=True)
class Plan:
    """Every process of a local stack, in start order, and the shared environment."""

    env: Mapping[str, str]
    migrations: tuple[Proc, ...]
    apis: tuple[Proc, ...]
    workers: tuple[Proc, ...]
    gateway: Proc
    seeds: tuple[Proc, ...]

    @property
    def long_running(self) -> tuple[Proc, ...]:
        """The processes that stay up until the stack stops."""
        return (*self.apis, *self.workers, self.gateway)


def command(app: str, role: str) -> tuple[str, ...]:
    """The command of one process: the same entry point the container runs."""
    return (sys.executable, "-m", app, role)


def settings_class(app: str) -> type[BaseSettings]:
    """The settings class of an app (``<app>.config.Settings``)."""
    module = importlib.import_module(f"{app}.config")
    settings: type[BaseSettings] = module.Settings
    return settings


def env_prefix(app: str) -> str:
    """The environment prefix of an app's settings (``ORDERING_``)."""
    return str(settings_class(app).model_config.get("env_prefix", ""))


def port_base(environ: Mapping[str, str]) -> int:
    """The gateway's port; every other port is counted from it."""
    return int(environ.get("DEVRUN_PORT_BASE", LOCAL_PORTS[GATEWAY]))


def port_of(app: str, replica: int, base: int) -> int:
    """The port of replica ``replica`` of ``app`` (see the module docstring)."""
    if app == GATEWAY:
        return base
    return base + LOCAL_PORTS[app] - LOCAL_PORTS[GATEWAY] + REPLICA_STRIDE * replica


def worker_port_of(app: str, replica: int, base: int) -> int:
    """The port of the ``/metrics`` and probes of worker ``replica`` of ``app``: five
    above its API's (identity's first worker 8006 ... notification's 8010)."""
    return port_of(app, replica, base) + WORKER_PORT_OFFSET


def replicas(environ: Mapping[str, str], app: str, role: str = "api") -> int:
    """How many processes of ``role`` to run for ``app``; one by default.

    ``ORDERING_REPLICAS=3`` runs three ordering APIs and three ordering workers;
    ``ORDERING_WORKER_REPLICAS=2`` sets the workers' count on its own.
    """
    names = [f"{app.upper()}_REPLICAS"]
    if role == "worker":
        names.insert(0, f"{app.upper()}_WORKER_REPLICAS")
    elif role != "api":  # one-shot roles (migrate, seed) run once
        return 1
    for name in names:
        raw = environ.get(name, "").strip()
        if raw:
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
            return value
    return 1


def base_urls(environ: Mapping[str, str], app: str) -> list[str]:
    """The base URL of every API replica of ``app``."""
    base = port_base(environ)
    return [f"http://{HOST}:{port_of(app, r, base)}" for r in range(replicas(environ, app))]


def app_env(
    app: str, environ: Mapping[str, str], smtp: tuple[str, int] | None = None
) -> dict[str, str]:
    """The variables local mode sets for ``app`` (without ``<APP>_PORT``).

    Only variables naming a real field of the app's settings are set, and none
    that ``environ`` already sets, except ``<APP>_HOST``.
    """
    settings_cls = settings_class(app)
    fields = settings_cls.model_fields
    prefix = env_prefix(app)
    wanted: dict[str, str] = {"host": HOST}

    if "database_url" in fields and "DEVRUN_DB_PREFIX" in environ:
        # model_construct() reads no environment: the class's own local default.
        default_url = str(settings_cls.model_construct().database_url)  # type: ignore[attr-defined]
        wanted["database_url"] = _rename_database(default_url, environ["DEVRUN_DB_PREFIX"] + app)
    namespace = environ.get("DEVRUN_NAMESPACE")
    if namespace:
        wanted.update(
            event_exchange=f"{namespace}.events",
            queue_prefix=namespace,
            redis_namespace=namespace,
        )
    wanted["jwks_url"] = base_urls(environ, "identity")[0] + "/internal/jwks"
    # Where a browser reaches the web client (links in emails): the gateway.
    wanted["web_base_url"] = f"http://localhost:{port_base(environ)}"
    for other in SERVICES:
        # Settings that point at another app follow its ports and replicas.
        wanted[f"{other}_url"] = base_urls(environ, other)[0]
        wanted[f"{other}_urls"] = ",".join(base_urls(environ, other))
    if smtp is not None:
        wanted.update(smtp_host=smtp[0], smtp_port=str(smtp[1]))

    env: dict[str, str] = {}
    for name, value in wanted.items():
        variable = prefix + name.upper()
        if name not in fields:
            continue
        if variable in environ and name != "host":
            continue
        env[variable] = value
    return env


def build(environ: Mapping[str, str] | None = None, smtp: tuple[str, int] | None = None) -> Plan:
    """The local stack described by ``environ`` (default: this process's environment)."""
    environ = os.environ if environ is None else environ
    # Local mode declares itself: only here may the apps run on their built-in keys
    # and issuer (R40); every other deployment must set its own.
    shared: dict[str, str] = {"PYTHONUNBUFFERED": "1", LOCAL_MODE_VARIABLE: "1"}
    for app in APPS:
        shared.update(app_env(app, environ, smtp))
    base = port_base(environ)

    def gateway_proc(port: int) -> Proc:
        metrics_port = port + GATEWAY_METRICS_OFFSET
        return Proc(
            name=f"{GATEWAY}-api",
            app=GATEWAY,
            role="api",
            argv=command(GATEWAY, "api"),
            env={"GATEWAY_PORT": str(port), "GATEWAY_METRICS_PORT": str(metrics_port)},
            port=port,
            metrics_port=metrics_port,
        )

    def proc(app: str, role: str, replica: int = 0, port: int | None = None) -> Proc:
        count = replicas(environ, app, role) if app != GATEWAY else 1
        name = f"{app}-{role}" + (f"-{replica + 1}" if count > 1 else "")
        variable = "WORKER_METRICS_PORT" if role == "worker" else "PORT"
        env = {env_prefix(app) + variable: str(port)} if port else {}
        return Proc(name=name, app=app, role=role, argv=command(app, role), env=env, port=port)

    return Plan(
        env=shared,
        migrations=tuple(proc(app, "migrate") for app in SERVICES),
        apis=tuple(
            proc(app, "api", r, port_of(app, r, base))
            for app in SERVICES
            for r in range(replicas(environ, app))
        ),
        workers=tuple(
            proc(app, "worker", r, worker_port_of(app, r, base))
            for app in SERVICES
            for r in range(replicas(environ, app, "worker"))
        ),
        gateway=gateway_proc(base),
        seeds=tuple(proc(app, "seed") for app in SERVICES),
    )


def _rename_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def describe(plan: Plan) -> str:
    """The processes and variables of ``plan``, one per line (``python -m devrun plan``)."""
    procs = (*plan.migrations, *plan.long_running, *plan.seeds)
    lines = [
        f"{p.name:<24} python {' '.join(p.argv[1:])}" + (f"  (port {p.port})" if p.port else "")
        for p in procs
    ]
    lines += [f"{name}={value}" for name, value in sorted(plan.env.items())]
    return "\n".join(lines)
