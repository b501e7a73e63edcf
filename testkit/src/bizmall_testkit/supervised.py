"""A local stack whose processes the test process supervises itself.

:func:`~bizmall_testkit.stack.running_stack` leaves the processes to ``python -m
devrun``; :class:`SupervisedStack` runs the same plan (``devrun.plan``: the same
commands, ports and variables) under devrun's :class:`~devrun.supervisor.Supervisor`
in the test process, started as ``make dev`` starts it (migrations, every API, worker
and the gateway, readiness, the demo seed), so that a test can SIGKILL one process
and start it again, and watch every ``/readyz`` meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import Iterable, Mapping
from pathlib import Path

import aiohttp

from bizmall_testkit.stack import STARTUP_TIMEOUT
from devrun.plan import Plan, Proc, build
from devrun.supervisor import Supervisor
from servicekit.testing.helpers import eventually


def with_env(plan: Plan, env: Mapping[str, str]) -> Plan:
    """``plan`` with ``env`` under each process's own variables (a child of the
    supervisor gets this process's environment and its proc's)."""

    def one(proc: Proc) -> Proc:
        return dataclasses.replace(proc, env={**env, **proc.env})

    return dataclasses.replace(
        plan,
        migrations=tuple(map(one, plan.migrations)),
        apis=tuple(map(one, plan.apis)),
        workers=tuple(map(one, plan.workers)),
        gateway=one(plan.gateway),
        seeds=tuple(map(one, plan.seeds)),
    )


class SupervisedStack:
    """The processes of the stack ``env`` describes, supervised here; their output goes
    to ``log_path``, each line prefixed with its process's name."""

    def __init__(self, env: Mapping[str, str], log_path: Path, grace_seconds: float = 15) -> None:
        plan = build(env)
        #: The variables every process gets (local mode's over ``env``).
        self.env: dict[str, str] = {**env, **plan.env}
        self.plan = with_env(plan, self.env)
        self.log_path = log_path
        self._log = log_path.open("w")
        self.supervisor = Supervisor(out=self._log, grace_seconds=grace_seconds)

    async def up(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Migrate, start every long-running process, wait until each is ready, seed."""
        try:
            await asyncio.gather(*(self.supervisor.run_once(p) for p in self.plan.migrations))
            for proc in self.plan.long_running:
                await self.supervisor.start(proc)
            await self.wait_ready(timeout=timeout)
            await asyncio.gather(*(self.supervisor.run_once(p) for p in self.plan.seeds))
        except Exception:
            self._log.flush()
            tail = await asyncio.to_thread(self.log_tail)
            raise RuntimeError(f"the stack did not come up:\n{tail}") from None

    async def down(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after the grace period)."""
        try:
            await self.supervisor.stop_all()
        finally:
            self._log.close()

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the processes' output."""
        return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])

    # ---- processes

    def proc(self, name: str) -> Proc:
        return next(p for p in self.plan.long_running if p.name == name)

    def pids(self) -> dict[str, int]:
        return {c.proc.name: c.pid for c in self.supervisor.children}

    def running(self, name: str) -> bool:
        return any(c.proc.name == name for c in self.supervisor.children)

    def dead(self) -> list[str]:
        """Long-running processes that exited."""
        return [
            f"{c.proc.name} (status {c.process.returncode})"
            for c in self.supervisor.children
            if c.process.returncode is not None
        ]

    async def kill(self, name: str) -> None:
        """SIGKILL a process (its whole group), as an OOM killer or a node loss would."""
        child = next(c for c in self.supervisor.children if c.proc.name == name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        await child.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.pump, 5)
        self.supervisor.children.remove(child)

    async def start(self, name: str) -> None:
        """Start a process of the plan again (and wait until it is ready)."""
        proc = self.proc(name)
        await self.supervisor.start(proc)
        if proc.ready_url:
            await self.wait_ready([proc.ready_url], STARTUP_TIMEOUT)

    # ---- probes

    @property
    def ready_urls(self) -> list[str]:
        return [p.ready_url for p in self.plan.long_running if p.ready_url]

    async def readiness(self) -> dict[str, int]:
        """The ``/readyz`` status of every API, worker and the gateway (0: no answer),
        each asked on a fresh connection."""

        async def one(probe: aiohttp.ClientSession, url: str) -> int:
            try:
                async with probe.get(url) as response:
                    return response.status
            except (aiohttp.ClientError, TimeoutError):
                return 0

        urls = self.ready_urls
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=5),
        ) as probe:
            states = await asyncio.gather(*(one(probe, url) for url in urls))
        return dict(zip(urls, states, strict=True))

    async def wait_ready(self, urls: Iterable[str] | None = None, timeout: float = 120) -> None:
        """Wait until each of ``urls`` (default: every process's) answers 200."""
        wanted = list(urls or self.ready_urls)

        async def all_ready() -> bool:
            states = await self.readiness()
            return all(states[u] == 200 for u in wanted)

        try:
            await eventually(all_ready, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"not ready: {await self.readiness()}") from None
