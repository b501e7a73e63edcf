"""One local stack with several replicas of ordering, billing and notification.

The stack is started with the shared helper (``bizmall_testkit.stack``: ``python -m
devrun`` on a free port base with this run's own databases, exchange, queue
prefix and Redis namespace, and a real SMTP sink in this process), but with
``<NAME>_REPLICAS`` set, so every scaled service runs several API *and* worker
processes, and with fast scheduled jobs. Its output is kept in a file: each line
is prefixed with the name of the process that wrote it (``ordering-api-2``),
which is how the tests tell the replicas apart.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from bizmall_testkit.client import Stack
from bizmall_testkit.stack import free_port_base_for, gateway_session, running_stack, stack_env
from devrun import plan as devrun_plan
from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

#: Replicas of each scaled service (API and worker processes alike).
REPLICAS = {"ordering": 3, "billing": 2, "notification": 2}


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

    stack: Stack  # gateway session, mailbox, members, ops session
    plan: devrun_plan.Plan
    env: dict[str, str]
    log_path: Path
    smtp: SmtpSink

    def api_ports(self, app: str) -> dict[str, int]:
        """Each API replica of ``app``: process name → port."""
        return {p.name: p.port for p in self.plan.apis if p.app == app and p.port}

    def worker_names(self, app: str) -> list[str]:
        return [p.name for p in self.plan.workers if p.app == app]

    def database_dsn(self, app: str) -> str:
        """The asyncpg DSN of ``app``'s database."""
        return self.stack.database_dsn(app)

    async def query(self, app: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.stack.query(app, sql, *args)

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
    replicas = {f"{app.upper()}_REPLICAS": str(n) for app, n in REPLICAS.items()}
    base = free_port_base_for(replicas)
    # Both billing workers try the scheduled billing run every few seconds, so it races
    # the contracts arriving and the runs ops start on the billing APIs (the advisory
    # lock lets one worker run it at a time); ordering's jobs tick on three workers.
    jobs = {"BILLING_JOB_INTERVAL_SECONDS": "8", "ORDERING_JOB_INTERVAL_SECONDS": "3"}
    smtp = SmtpSink()
    smtp.start()
    try:
        env = await stack_env(
            infra,
            base=base,
            var_dir=var_dir,
            smtp=smtp,
            database_hint="scale",
            extra={**replicas, **jobs},
        )
        plan = devrun_plan.build(env)
        async with (
            running_stack(env, var_dir / "stack.log") as running,
            gateway_session(base, timeout=60) as http,
        ):
            stack = Stack(base=base, http=http, smtp=smtp, env=env, log=running.log)
            yield ScaledStack(stack=stack, plan=plan, env=env, log_path=running.log.path, smtp=smtp)
    finally:
        smtp.stop()
