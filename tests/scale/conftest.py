"""One local stack with several replicas of ordering, billing and notification.

The stack is started the way ``tests/e2e/conftest.py`` starts one — ``python -m
devrun`` on a free port base with this run's own databases, exchange, queue
prefix and Redis namespace, and a real SMTP sink in this process — reusing
that file's helpers (loaded from it rather than copied), but with
``<NAME>_REPLICAS`` set, so every scaled service runs several API *and*
worker processes. Its output is kept in a file: each line is prefixed with
the name of the process that wrote it (``ordering-api-2``), which is how the
tests tell the replicas apart.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from devrun import plan as devrun_plan
from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
SERVICES = devrun_plan.SERVICES
#: Replicas of each scaled service (API and worker processes alike).
REPLICAS = {"ordering": 3, "billing": 2, "notification": 2}
#: Migrations, 19 processes and the demo seed on a busy 2-core machine.
STARTUP_TIMEOUT = 300.0


def _load_e2e() -> Any:
    name = "bizmall_e2e_stack"  # the browser tests load the same module under this name
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "e2e" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


e2e = _load_e2e()


@dataclass(frozen=True)
class LogLine:
    """One line of the stack's output: the process that wrote it and its JSON record."""

    process: str
    record: dict[str, Any]

    @property
    def event(self) -> str:
        return str(self.record.get("event", ""))


@dataclass
class ScaledStack:
    """The running stack, its processes, databases and output."""

    stack: Any  # tests/e2e's Stack: gateway session, mailbox, members, ops session
    plan: devrun_plan.Plan
    env: dict[str, str]
    log_path: Path
    smtp: SmtpSink
    _direct: aiohttp.ClientSession | None = field(default=None, repr=False)

    def api_ports(self, app: str) -> dict[str, int]:
        """Each API replica of ``app``: process name → port."""
        return {p.name: p.port for p in self.plan.apis if p.app == app and p.port}

    def worker_names(self, app: str) -> list[str]:
        return [p.name for p in self.plan.workers if p.app == app]

    def database_dsn(self, app: str) -> str:
        """The asyncpg DSN of ``app``'s database."""
        url = self.env[f"{app.upper()}_DATABASE_URL"]
        return url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def query(self, app: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_dsn(app))
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    def log(self) -> Iterator[LogLine]:
        """Every JSON line the stack's processes wrote so far."""
        with self.log_path.open(encoding="utf-8", errors="replace") as file:
            for raw in file:
                name, separator, text = raw.partition(" | ")
                if not separator or not text.startswith("{"):
                    continue
                try:
                    record = json.loads(text)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield LogLine(name.strip(), record)

    def count_lines(self, event: str, **fields: Any) -> Counter[str]:
        """Per process: how many lines of ``event`` carry every one of ``fields``."""
        counts: Counter[str] = Counter()
        for line in self.log():
            if line.event == event and all(line.record.get(k) == v for k, v in fields.items()):
                counts[line.process] += 1
        return counts


@pytest_asyncio.fixture(scope="module")
async def scaled(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ScaledStack]:
    """``python -m devrun`` with ORDERING_REPLICAS=3, BILLING_REPLICAS=2 and
    NOTIFICATION_REPLICAS=2, stopped with SIGINT at the end of the module."""
    var_dir = tmp_path_factory.mktemp("scale")
    smtp = SmtpSink()
    smtp.start()
    replicas = {f"{app.upper()}_REPLICAS": str(n) for app, n in REPLICAS.items()}
    base = _free_port_base(replicas)
    env = await e2e._stack_env(infra, smtp, base, var_dir)
    env.update(replicas)
    for app in SERVICES:
        # Nineteen processes share PostgreSQL with whatever else runs: small pools.
        # (A worker's scheduled jobs each hold a connection for their lock: not fewer.)
        env[f"{app.upper()}_DB_POOL_SIZE"] = "2"
    # Both billing workers try the scheduled billing run every few seconds, so it races
    # the contracts arriving and the runs ops start on the billing APIs (the advisory
    # lock lets one worker run it at a time); ordering's jobs tick on three workers.
    env["BILLING_JOB_INTERVAL_SECONDS"] = "8"
    env["ORDERING_JOB_INTERVAL_SECONDS"] = "3"
    plan = devrun_plan.build(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devrun",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    log = e2e._StackLog(var_dir / "stack.log")
    up = asyncio.Event()
    assert process.stdout is not None
    relay = asyncio.create_task(log.relay(process.stdout, up))
    pids: list[int] = []
    try:
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait({ready, relay}, timeout=STARTUP_TIMEOUT, return_when="FIRST_COMPLETED")
        ready.cancel()
        assert up.is_set(), f"the stack did not come up (log: {log.path}):\n{log.tail()}"
        pids = e2e._descendants(process.pid)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{base}",
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http:
            stack = e2e.Stack(base_url=f"http://127.0.0.1:{base}", http=http, smtp=smtp)
            yield ScaledStack(stack=stack, plan=plan, env=env, log_path=log.path, smtp=smtp)
    finally:
        pids = pids or e2e._descendants(process.pid)
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            await asyncio.wait_for(relay, 10)
            smtp.stop()
    assert process.returncode == 0, f"devrun failed (log: {log.path}):\n{log.tail()}"
    assert [pid for pid in pids if e2e._alive(pid)] == [], "processes outlived the stack"


def _free_port_base(replicas: dict[str, str]) -> int:
    """A base whose every port of the scaled stack (gateway and API replicas) is free.

    It lies below the kernel's ephemeral range: the stack takes minutes to start on
    a busy machine, and meanwhile any outgoing connection may be given an ephemeral
    port, which the stack could then not bind.
    """
    low = _ephemeral_low()
    for _ in range(50):
        base = random.randrange(max(low - 12_000, 10_000), low - 100, 100)
        plan = devrun_plan.build({**replicas, "DEVRUN_PORT_BASE": str(base)})
        ports = [p.port for p in (*plan.apis, plan.gateway) if p.port]
        if not any(_listening(port) for port in ports):
            return base
    raise RuntimeError("no free port range")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
