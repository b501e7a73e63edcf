"""The command line every service shares: ``python -m <service> api|worker|migrate|seed``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob
from servicekit.settings import LOCAL_MODE_VARIABLE, ServiceSettings, SettingsRefused
from servicekit.uow import UnitOfWork


@dataclass
class ServiceDefinition:
    """What a service is made of, as its composition root (``bootstrap.py``) declares it."""

    name: str
    settings_class: type[ServiceSettings]
    #: "package.module:function" building the FastAPI app from settings read from the env.
    app_factory: str
    uow_class: type[UnitOfWork] = UnitOfWork
    subscriptions: Callable[[Runtime], Subscriptions] = lambda _runtime: {}
    jobs: Callable[[Runtime], Sequence[PeriodicJob]] = lambda _runtime: ()
    seed: Callable[[Runtime], Awaitable[None]] | None = None
    #: Extra sub-commands: name → function taking the remaining argv, returning an exit code.
    commands: dict[str, Callable[[list[str]], int]] = field(default_factory=dict)

    def runtime(self, settings: ServiceSettings | None = None) -> Runtime:
        """The process resources of this service."""
        return Runtime.build(settings or self.settings_class(), uow_class=self.uow_class)


def serve_api(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Run the HTTP API with uvicorn (uvloop, httptools)."""
    import uvicorn

    uvicorn.run(
        definition.app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="*",
        # Keep idle connections longer than the gateway's pool does (30 s): a server
        # closing first races the gateway reusing the connection (reset, 502).
        timeout_keep_alive=75,
        timeout_graceful_shutdown=20,
    )


async def run_worker(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    from servicekit import tracing
    from servicekit.worker import Worker

    tracing.configure(f"{definition.name}-worker")
    runtime = definition.runtime(settings)
    worker = Worker(
        runtime,
        subscriptions=definition.subscriptions(runtime),
        jobs=definition.jobs(runtime),
    )
    worker.install_signal_handlers()
    try:
        await worker.run()
    finally:
        await runtime.close()
        tracing.shutdown()


def migrate(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Create the database when it is missing (local mode), then upgrade to head."""
    from servicekit.migrations import ensure_database, upgrade

    asyncio.run(ensure_database(settings.database_url))
    upgrade(settings, definition.name)


async def run_seed(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Load the service's demo data (idempotent)."""
    if definition.seed is None:
        return
    runtime = definition.runtime(settings)
    try:
        await definition.seed(runtime)
    finally:
        await runtime.close()


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m <service>``."""
    from servicekit.logging import configure_logging

    parser = argparse.ArgumentParser(prog=f"python -m {definition.name}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the HTTP API")
    sub.add_parser("worker", help="consume events, relay the outbox, run scheduled jobs")
    sub.add_parser("migrate", help="create the database if missing, apply migrations")
    sub.add_parser("seed", help="load the demo data (idempotent)")
    for name in definition.commands:
        sub.add_parser(name, add_help=False)
    args, rest = parser.parse_known_args(argv)
    settings = definition.settings_class()
    configure_logging(definition.name, settings.log_level)
    try:
        # Outside local mode: no built-in key or issuer, or no start at all (R40).
        settings.check_startup()
    except SettingsRefused as refused:
        where = "" if settings.local_mode else f" outside local mode ({LOCAL_MODE_VARIABLE} unset)"
        sys.stderr.write(
            f"python -m {definition.name} {args.command}: refusing to start{where}:\n"
            + "".join(f"  - {problem}\n" for problem in refused.problems)
        )
        return 78  # EX_CONFIG
    if args.command in definition.commands:
        return definition.commands[args.command](rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "api":
        serve_api(definition, settings)
    elif args.command == "worker":
        import uvloop

        uvloop.run(run_worker(definition, settings))
    elif args.command == "migrate":
        migrate(definition, settings)
    elif args.command == "seed":
        asyncio.run(run_seed(definition, settings))
    return 0
