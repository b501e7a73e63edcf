"""The worker process of a service: consumer, dead-letter collector, outbox relay, jobs.

Everything here is safe to run in several replicas: the broker spreads
messages over consumers, the inbox absorbs duplicates, the relay claims rows
with ``SKIP LOCKED`` and jobs take an advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from datetime import timedelta

from servicekit.consumer import Consumer, Subscriptions
from servicekit.deadletters import DeadLetterCollector
from servicekit.logging import get_logger
from servicekit.relay import OutboxRelay
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob, run_periodically


class Worker:
    """Runs a service's background work until stopped."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        subscriptions: Subscriptions,
        jobs: Sequence[PeriodicJob] = (),
    ) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.relay = OutboxRelay(
            sessions=runtime.sessions,
            bus=runtime.bus,
            database_url=settings.database_url,
            poll_seconds=settings.outbox_poll_seconds,
        )
        self.consumer = (
            Consumer(
                service=runtime.service,
                bus=runtime.bus,
                subscriptions=subscriptions,
                uow_factory=runtime.uow_factory,
                queue_prefix=settings.queue_prefix,
                retry_delays_ms=settings.retry_delays_ms,
                max_attempts=settings.max_attempts,
            )
            if subscriptions
            else None
        )
        self.collector = DeadLetterCollector(
            service=runtime.service,
            bus=runtime.bus,
            sessions=runtime.sessions,
            queue_prefix=settings.queue_prefix,
        )
        prune = PeriodicJob(
            f"{runtime.service}.outbox.prune",
            3600,
            lambda: self.relay.prune(older_than=timedelta(days=7)),
        )
        self.jobs = [*jobs, prune]
        self.stop_event = asyncio.Event()
        self.ready = asyncio.Event()

    async def _connect_bus(self) -> None:
        delay = 0.5
        while not self.stop_event.is_set():
            try:
                await self.runtime.bus.connect()
                return
            except Exception as exc:
                get_logger("servicekit.worker").warning("broker not reachable yet", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), timeout=delay)
                delay = min(delay * 2, 10.0)

    async def run(self) -> None:
        """Run until :meth:`stop` (or SIGTERM/SIGINT when installed) is called."""
        tasks = [asyncio.create_task(self.relay.run(self.stop_event), name="outbox-relay")]
        tasks += [
            asyncio.create_task(
                run_periodically(self.runtime.engine, job, self.stop_event), name=job.name
            )
            for job in self.jobs
        ]
        await self._connect_bus()
        if not self.stop_event.is_set():
            if self.consumer is not None:
                await self.consumer.start()
            await self.collector.start()
            self.ready.set()
        await self.stop_event.wait()
        if self.consumer is not None:
            await self.consumer.stop()
        await self.collector.stop()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        """Ask the worker to finish in-flight work and return from :meth:`run`."""
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        """Stop gracefully on SIGTERM and SIGINT."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
