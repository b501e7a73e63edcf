"""``python -m devrun [up|seed|plan]``: bizmall on localhost without Docker.

``up`` (``make dev``): migrate every service, start every API, worker and the
gateway, wait until each answers ``/readyz``, load the demo data once, print
the URLs, and run until Ctrl-C or SIGTERM, which stop every process.
``seed`` (``make seed``): load the demo data into a running stack.
``plan``: print the processes, ports and variables ``up`` would use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from devrun.plan import HOST, SERVICES, Plan, build, describe, settings_class
from devrun.smtp_sink import DEFAULT_HOST, DEFAULT_PORT, MaildirSink, listening
from devrun.supervisor import ChildFailed, Supervisor, stop_signals

_EPILOG = """\
replicas:
  <NAME>_REPLICAS=3         three API and three worker processes of a service
                            (ORDERING_REPLICAS=3); the gateway balances over the APIs
  <NAME>_WORKER_REPLICAS=2  the service's worker processes alone
isolation: DEVRUN_PORT_BASE, DEVRUN_DB_PREFIX, DEVRUN_NAMESPACE (see README, Local mode)
"""

#: Default ports of the servers the stack needs, by URL scheme.
_SERVER_PORTS = {"postgresql+asyncpg": 5432, "postgresql": 5432, "amqp": 5672, "redis": 6379}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devrun",
        description=__doc__.splitlines()[0],
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="?", default="up", choices=("up", "seed", "plan"))
    command = parser.parse_args(argv).command
    if command == "plan":
        print(describe(build()))
        return 0
    if command == "seed":
        return asyncio.run(seed())
    return asyncio.run(up())


async def up() -> int:
    """Run the whole stack until stopped; the exit status says whether it failed."""
    stopping = stop_signals()
    supervisor = Supervisor()
    sink = _smtp_sink(os.environ)
    running = stopped = None
    try:
        plan = build(os.environ, smtp=_smtp_address(os.environ))
        # Children inherit this environment; the reachability check reads it too.
        os.environ.update(plan.env)
        running = asyncio.ensure_future(_run(supervisor, plan, sink))
        stopped = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            supervisor.say("devrun", "stopping")
            return 0
        supervisor.say("devrun", f"error: {running.exception()}")
        return 1
    finally:
        for task in (running, stopped):
            if task is not None:
                task.cancel()
        await supervisor.stop_all()
        if sink is not None:
            sink.stop()


async def seed() -> int:
    """Load the demo data of every service (idempotent)."""
    plan = build(os.environ)
    os.environ.update(plan.env)
    supervisor = Supervisor()
    try:
        for proc in plan.seeds:
            await supervisor.run_once(proc)
    except ChildFailed as failed:
        supervisor.say("devrun", f"error: {failed}")
        return 1
    finally:
        await supervisor.stop_all()
    return 0


async def _run(supervisor: Supervisor, plan: Plan, sink: MaildirSink | None) -> None:
    missing = _unreachable_servers()
    if missing:
        raise RuntimeError("not reachable: " + ", ".join(missing) + " (start them, see README)")
    await asyncio.gather(*(supervisor.run_once(proc) for proc in plan.migrations))
    for proc in plan.long_running:
        await supervisor.start(proc)
    await _unless_a_child_exits(supervisor, _all_ready(plan))
    if os.environ.get("DEVRUN_SEED", "1") != "0":
        # Each service seeds only its own database: the seeds run side by side.
        seeds = asyncio.gather(*(supervisor.run_once(proc) for proc in plan.seeds))
        await _unless_a_child_exits(supervisor, seeds)
    for line in _welcome(plan, sink):
        supervisor.say("devrun", line)
    child = await supervisor.first_exit()
    raise ChildFailed(child.proc.name, child.process.returncode)


async def _unless_a_child_exits(supervisor: Supervisor, work: Awaitable[object]) -> None:
    """Await ``work``; fail instead if a long-running child exits meanwhile."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(supervisor.first_exit())
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        if not task.done():
            task.cancel()
    if task.done() and not task.cancelled():
        task.result()
        return
    child = watch.result()
    raise ChildFailed(child.proc.name, child.process.returncode)


async def _all_ready(plan: Plan) -> None:
    timeout = float(os.environ.get("DEVRUN_READY_TIMEOUT", "120"))
    urls = [p.ready_url for p in (*plan.apis, plan.gateway) if p.ready_url]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        try:
            await asyncio.wait_for(asyncio.gather(*(_ready(session, url) for url in urls)), timeout)
        except TimeoutError:
            raise RuntimeError(f"not ready after {timeout:g}s (see the output above)") from None


async def _ready(session: aiohttp.ClientSession, url: str) -> None:
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.5)


def _smtp_address(environ: Mapping[str, str]) -> tuple[str, int] | None:
    # An SMTP host set explicitly is the notification service's own business.
    if environ.get("NOTIFICATION_SMTP_HOST"):
        return None
    return DEFAULT_HOST, int(environ.get("NOTIFICATION_SMTP_PORT", DEFAULT_PORT))


def _smtp_sink(environ: Mapping[str, str]) -> MaildirSink | None:
    """Start the Maildir sink unless an SMTP server is configured or already listening."""
    address = _smtp_address(environ)
    if address is None or listening(*address):
        return None
    sink = MaildirSink(Path(environ.get("DEVRUN_VAR_DIR", "var")) / "mail", *address)
    sink.start()
    return sink


def _unreachable_servers() -> list[str]:
    addresses: set[tuple[str, int]] = set()
    for app in SERVICES:
        settings = settings_class(app)()
        for name in ("database_url", "amqp_url", "redis_url"):
            parts = urlsplit(str(getattr(settings, name)))
            port = parts.port or _SERVER_PORTS.get(parts.scheme, 0)
            addresses.add((parts.hostname or HOST, port))
    return [f"{host}:{port}" for host, port in sorted(addresses) if not listening(host, port)]


def _welcome(plan: Plan, sink: MaildirSink | None) -> list[str]:
    gateway = f"http://{HOST}:{plan.gateway.port}"
    lines = [
        f"bizmall is up: {gateway}/",
        f"  API docs (all services): {gateway}/api/v1/docs",
    ]
    lines += [f"  {p.name}: http://{HOST}:{p.port}/docs" for p in plan.apis]
    smtp = _smtp_address(os.environ)
    if sink is not None:
        lines.append(f"  mail: SMTP {sink.host}:{sink.port}, stored in {sink.maildir}/new/")
    elif smtp is not None:
        lines.append(f"  mail: the SMTP server already listening at {smtp[0]}:{smtp[1]}")
    lines.append(f"Ctrl-C stops every process ({len(plan.long_running)} running).")
    return lines


if __name__ == "__main__":
    sys.exit(main())
