"""Whole local stacks for the test suites: ``python -m devrun``, as ``make dev`` runs it.

A suite that needs the whole system starts ``python -m devrun`` with
:func:`running_stack` on the environment :func:`stack_env` builds: a free port
base (:func:`free_port_base_for`), this test run's own databases, exchange,
queue prefix and Redis namespace, and notification sending to a real SMTP sink
in the test process. The context manager relays the stack's output to a log
file, waits for "bizmall is up", and at the end stops it with SIGINT, as a
developer's Ctrl-C would, and checks that it exited cleanly and left no
process behind. :func:`gateway_session` is the HTTP session a
:class:`~bizmall_testkit.client.Stack` drives the journeys with.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bizmall_testkit.data import DEFAULT_CREDENTIALS, Credentials
from bizmall_testkit.processes import alive, descendants
from devrun.plan import SERVICES, build
from servicekit.testing.infra import Infra
from servicekit.testing.ports import free_port_base
from servicekit.testing.smtp import SmtpSink, free_port

#: Long enough for migrations, every process and the demo seed on a busy 2-core machine.
STARTUP_TIMEOUT = 300.0


def free_port_base_for(environ: Mapping[str, str] | None = None) -> int:
    """A port base below the ephemeral range where every port of the stack ``environ``
    describes (its replicas included) is free."""
    plan = build({**(environ or {}), "DEVRUN_PORT_BASE": "0"})
    span = max(max(p.port or 0, p.metrics_port or 0) for p in plan.long_running) + 1
    return free_port_base(span=span)


def service_variables(app: str, **settings: str) -> dict[str, str]:
    """The variables setting ``app``'s ``settings`` (``ORDERING_AMQP_URL`` ...)."""
    prefix = app.upper() + "_"
    return {prefix + name.upper(): value for name, value in settings.items()}


def local_env(
    *,
    base: int,
    var_dir: Path,
    smtp: SmtpSink | None,
    credentials: Credentials = DEFAULT_CREDENTIALS,
    rate_limit_profile: str = "benchmark",
    demo_member: bool = False,
) -> dict[str, str]:
    """This process's environment plus what every test stack sets, whichever servers it
    runs on: its ports and folder, where mail goes, the demo operator, the rate limits.

    ``demo_member``: load the demo member with orders, contracts and invoices, as
    ``make dev`` does (off by default: a test's own members are then the only ones).

    ``smtp``: where notification sends (None: devrun's own Maildir sink on a free port).
    ``rate_limit_profile``: ``benchmark`` lifts the per-IP limits (every test request
    comes from 127.0.0.1); ``standard`` keeps them.
    """
    env = {**os.environ, "DEVRUN_PORT_BASE": str(base), "DEVRUN_VAR_DIR": str(var_dir)}
    if smtp is None:
        env["NOTIFICATION_SMTP_PORT"] = str(free_port())
    else:
        # An explicit SMTP host: devrun starts no Maildir sink, notification sends here.
        env["NOTIFICATION_SMTP_HOST"] = smtp.host
        env["NOTIFICATION_SMTP_PORT"] = str(smtp.port)
    env["IDENTITY_DOCUMENT_STORAGE_DIR"] = str(var_dir / "identity-documents")
    # The tests speak plain HTTP and send the refresh token in the body anyway.
    env["IDENTITY_REFRESH_COOKIE_SECURE"] = "false"
    env["BIZMALL_DEMO_OPS_EMAIL"] = credentials.ops_email
    env["BIZMALL_DEMO_OPS_PASSWORD"] = credentials.ops_password
    env["GATEWAY_RATE_LIMIT_PROFILE"] = rate_limit_profile
    if not demo_member:
        env["BIZMALL_DEMO_MEMBER_EMAIL"] = ""
    return env


async def stack_env(
    infra: Infra,
    *,
    base: int,
    var_dir: Path,
    smtp: SmtpSink | None,
    database_hint: str = "stack",
    credentials: Credentials = DEFAULT_CREDENTIALS,
    rate_limit_profile: str = "benchmark",
    otlp_endpoint: str | None = None,
    extra: Mapping[str, str] | None = None,
    demo_member: bool = False,
) -> dict[str, str]:
    """The environment of a stack on ``base`` with this run's own databases, exchange,
    queues and Redis keys (inside the run's, so the run's clean-up removes them).

    ``smtp``, ``credentials``, ``rate_limit_profile``: see :func:`local_env`.
    ``demo_member``: see :func:`local_env`.
    ``otlp_endpoint``: every process exports its spans there, set with the standard
    OpenTelemetry variables only. ``extra``: set last (replicas, job intervals ...).
    """
    env = local_env(
        base=base,
        var_dir=var_dir,
        smtp=smtp,
        credentials=credentials,
        rate_limit_profile=rate_limit_profile,
        demo_member=demo_member,
    )
    # Another stack of this run may be up at the same time: each gets its own exchange,
    # queues and Redis keys. The gateway reads the maintenance windows notification
    # writes: same namespace.
    tag = uuid.uuid4().hex[:6]
    namespace = f"{infra.redis_namespace}:{tag}"
    env["GATEWAY_REDIS_URL"] = infra.redis_url
    env["GATEWAY_REDIS_NAMESPACE"] = namespace
    for app in SERVICES:
        # Explicit variables win over local mode's: this run's databases and names.
        env |= service_variables(
            app,
            database_url=await infra.create_database(f"{database_hint}_{app}"),
            amqp_url=infra.amqp_url,
            redis_url=infra.redis_url,
            event_exchange=f"{infra.exchange}.{tag}",
            queue_prefix=f"{infra.queue_prefix}.{tag}",
            redis_namespace=namespace,
            # Small pools leave PostgreSQL's connections to whatever else runs on the
            # machine. (A worker's scheduled jobs each hold one for their lock: not fewer.)
            db_pool_size="2",
        )
    if otlp_endpoint is not None:
        env.update(
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp_endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_BSP_SCHEDULE_DELAY="200",
        )
        # Each process names its own service; nothing may switch the SDK off.
        env.pop("OTEL_SDK_DISABLED", None)
        env.pop("OTEL_SERVICE_NAME", None)
    env.update(extra or {})
    return env


class StackLog:
    """The stack's output: all of it in a file, the end of it in memory for failures."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail: collections.deque[str] = collections.deque(maxlen=80)

    async def relay(self, stream: asyncio.StreamReader, up: asyncio.Event) -> None:
        """Copy ``stream`` to the file until it ends; set ``up`` when the stack is up."""
        with self.path.open("w") as file:
            while line := (await stream.readline()).decode(errors="replace"):
                file.write(line)
                file.flush()
                self._tail.append(line)
                if "bizmall is up" in line:
                    up.set()

    def tail(self) -> str:
        """The last lines of the output."""
        return "".join(self._tail)

    def text(self) -> str:
        """All of the output so far."""
        return self.path.read_text(errors="replace")


@dataclass
class RunningStack:
    """A started ``python -m devrun``: its process, its output and its process tree."""

    process: asyncio.subprocess.Process
    log: StackLog
    #: Every process below devrun once the stack was up (checked gone at the end).
    pids: list[int]


@asynccontextmanager
async def running_stack(
    env: Mapping[str, str], log_path: Path, *, timeout: float = STARTUP_TIMEOUT
) -> AsyncIterator[RunningStack]:
    """``python -m devrun`` with ``env``, up; stopped with SIGINT on leaving, which must
    end it with status 0 and no process of its tree left behind."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devrun",
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    log = StackLog(log_path)
    up = asyncio.Event()
    assert process.stdout is not None
    # The pipe must be read for the stack's whole life, or a chatty stack would block on it.
    relay = asyncio.create_task(log.relay(process.stdout, up))
    pids: list[int] = []
    try:
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait({ready, relay}, timeout=timeout, return_when="FIRST_COMPLETED")
        ready.cancel()
        if not up.is_set():
            raise AssertionError(f"the stack did not come up (log: {log.path}):\n{log.tail()}")
        pids = descendants(process.pid)
        yield RunningStack(process, log, pids)
    finally:
        pids = pids or descendants(process.pid)
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            await asyncio.wait_for(relay, 10)
    if process.returncode != 0:
        raise AssertionError(
            f"devrun exited with {process.returncode} (log: {log.path}):\n{log.tail()}"
        )
    survivors = [pid for pid in pids if alive(pid)]
    if survivors:
        raise AssertionError(f"processes outlived the stack: {survivors}")


def gateway_session(
    base: int, *, timeout: float = 30, force_close: bool = False
) -> aiohttp.ClientSession:
    """An HTTP session on the gateway of the stack on ``base`` (relative paths).

    It keeps no cookies: sessions are bearer tokens, never shared between members.
    ``force_close``: a fresh connection per request, for a gateway that may go away.
    """
    return aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{base}",
        connector=aiohttp.TCPConnector(force_close=force_close),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )
