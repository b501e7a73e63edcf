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

from aiohttp import web

from servicekit import inbox, metrics
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
        inbox_retention = timedelta(days=settings.inbox_retention_days)
        prune_inbox = PeriodicJob(
            f"{runtime.service}.inbox.prune",
            3600,
            lambda: inbox.prune(runtime.sessions, older_than=inbox_retention),
        )
        self.jobs = [*jobs, prune, prune_inbox]
        self.stop_event = asyncio.Event()
        self.ready = asyncio.Event()
        self._refresh_gauges = metrics.database_gauges(runtime.engine)
        self.http: web.AppRunner | None = None
        #: The port the probe and metrics server listens on (None: not serving).
        self.http_port: int | None = None

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

    async def start_http(self, host: str, port: int) -> int:
        """Serve ``/healthz``, ``/readyz`` and ``/metrics`` on ``host:port``; returns the port.

        ``/healthz`` answers while the event loop runs; ``/readyz`` answers 200
        once the consumer is started and while the broker connection is up (503
        otherwise); ``/metrics`` first reads the outbox and dead-letter gauges
        from the database.
        """
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self.http = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.http.setup()
        site = web.TCPSite(self.http, host, port, reuse_address=True)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.http_port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.http_port

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = {
            "consumer": "ok" if self.ready.is_set() else "error: not started",
            "broker": "ok" if self.runtime.bus.connected else "error: not connected",
        }
        ready = all(value == "ok" for value in checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        await self._refresh_gauges()
        body, content_type = metrics.render()
        return web.Response(
            body=body,
            headers={"Content-Type": content_type, "Cache-Control": "no-store"},
        )

    async def run(self) -> None:
        """Run until :meth:`stop` (or SIGTERM/SIGINT when installed) is called."""
        port = self.runtime.settings.worker_metrics_port
        if port and self.http is None:
            await self.start_http(self.runtime.settings.host, port)
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
        if self.http is not None:
            await self.http.cleanup()
            self.http = None

    def stop(self) -> None:
        """Ask the worker to finish in-flight work and return from :meth:`run`."""
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        """Stop gracefully on SIGTERM and SIGINT."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
