"""Consuming integration events: inbox, retries with growing delay, dead letters.

For each message the consumer opens a unit of work, claims the event in the
inbox, runs the handler, commits, and only then acks. A handler that raises is
re-sent to the next delay tier (attempt count in a header) and the original
acked; after the last attempt the message goes to the dead-letter queue.
If even that re-send fails (broker trouble), the message is nacked and
redelivered later: it is never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from bizmall_events import Envelope, IntegrationEvent
from servicekit import inbox, metrics, tracing
from servicekit.bus import ATTEMPT_HEADER, ERROR_HEADER, EventBus, queue_names
from servicekit.context import correlation_id_var, request_id_var
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork


class Handler(Protocol):
    """An event handler: runs inside the unit of work that also claims the event."""

    def __call__(self, event: Any, *, uow: Any, envelope: Envelope) -> Awaitable[None]: ...


#: What a service consumes: event contract → handler. One place per service.
Subscriptions = Mapping[type[IntegrationEvent], Handler]


class RetryLater(Exception):
    """Raised by a handler that cannot act yet (e.g. its local copy is behind)."""


_log = get_logger("servicekit.consumer")


def _attempt_of(message: AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    return int(value) if isinstance(value, int | str) else 1


class Consumer:
    """Consumes one service's queue and dispatches to its handlers."""

    def __init__(
        self,
        *,
        service: str,
        bus: EventBus,
        subscriptions: Subscriptions,
        uow_factory: Callable[[], UnitOfWork],
        queue_prefix: str,
        retry_delays_ms: list[int],
        max_attempts: int,
        prefetch: int = 32,
    ) -> None:
        self.service = service
        self.bus = bus
        self.handlers = {
            contract.TYPE: (contract, handler) for contract, handler in subscriptions.items()
        }
        self.uow_factory = uow_factory
        self.queue_prefix = queue_prefix
        self.names = queue_names(queue_prefix, service, retry_delays_ms)
        self.delays = list(retry_delays_ms)
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Declare the topology and start consuming."""
        channel = await self.bus.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        main, _ = await self.bus.declare_consumer_topology(
            channel,
            prefix=self.queue_prefix,
            service=self.service,
            event_types=list(self.handlers),
            delays_ms=self.delays,
        )
        self.queue = main
        self._tag = await main.consume(self._on_message, no_ack=False)

    async def stop(self) -> None:
        """Stop taking messages and let the ones in flight finish."""
        if self.queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self.queue.cancel(self._tag)
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=30)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self.process(message)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def process(self, message: AbstractIncomingMessage) -> None:
        """Handle one message end to end (public for tests and replays)."""
        if not tracing.enabled():
            await self._process(message, None)
            return
        event_type = message.type or "unknown"
        with tracing.span(
            f"{event_type} process",
            kind=tracing.SpanKind.CONSUMER,
            parent=message.headers,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.destination.name": self.names["main"],
                "messaging.message.id": str(message.message_id),
                "bizmall.consumer": self.service,
                "bizmall.attempt": _attempt_of(message),
            },
        ) as current:
            await self._process(message, current)

    async def _process(self, message: AbstractIncomingMessage, current: Any) -> None:
        attempt = _attempt_of(message)
        started = time.perf_counter()
        try:
            envelope = Envelope.model_validate(orjson.loads(message.body))
        except Exception as exc:  # unparseable: no retry can help
            await self._dead_letter(message, attempt, f"invalid envelope: {exc}")
            return
        token_c = correlation_id_var.set(envelope.correlation_id)
        token_r = request_id_var.set(envelope.correlation_id)
        log = _log.bind(event_id=str(envelope.id), event_type=envelope.type, attempt=attempt)
        try:
            try:
                handled = await self._handle(envelope)
            except Exception as exc:
                metrics.CONSUMER_DURATION.labels(envelope.type, "failed").observe(
                    time.perf_counter() - started
                )
                metrics.CONSUMER_FAILURES.labels(envelope.type).inc()
                tracing.set_error(current, f"{type(exc).__name__}")
                retry_later = isinstance(exc, RetryLater)
                log.warning(
                    "event handler failed",
                    error=f"{type(exc).__name__}: {exc}",
                    retry_later=retry_later,
                    exc_info=not retry_later,
                )
                await self._retry_or_dead_letter(message, attempt, f"{type(exc).__name__}: {exc}")
                return
            await message.ack()
            metrics.CONSUMER_DURATION.labels(
                envelope.type, "handled" if handled else "duplicate"
            ).observe(time.perf_counter() - started)
            log.info("event handled" if handled else "event skipped (duplicate)")
        finally:
            correlation_id_var.reset(token_c)
            request_id_var.reset(token_r)

    async def _handle(self, envelope: Envelope) -> bool:
        contract, handler = self.handlers.get(envelope.type, (None, None))
        if contract is None or handler is None:
            raise LookupError(f"no handler for {envelope.type} in {self.service}")
        event = contract.model_validate(envelope.data)
        async with self.uow_factory() as uow:
            fresh = await inbox.claim(
                uow.session, consumer=self.service, event_id=envelope.id, event_type=envelope.type
            )
            if not fresh:
                return False
            await handler(event, uow=uow, envelope=envelope)
            await uow.commit()
            return True

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, attempt: int, error: str
    ) -> None:
        if attempt >= self.max_attempts:
            await self._dead_letter(message, attempt, error)
            return
        delay = self.delays[min(attempt - 1, len(self.delays) - 1)]
        await self._forward(message, self.names["retry"][delay], attempt + 1, error)

    async def _dead_letter(
        self, message: AbstractIncomingMessage, attempt: int, error: str
    ) -> None:
        metrics.CONSUMER_DEAD_LETTERED.labels(message.type or "unknown").inc()
        await self._forward(message, self.names["dlq"], attempt, error)

    async def _forward(
        self, message: AbstractIncomingMessage, queue: str, attempt: int, error: str
    ) -> None:
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = error[:1000]
        headers["x-failed-at"] = datetime.now(UTC).isoformat()
        headers["x-origin-queue"] = self.names["main"]
        copy = aio_pika.Message(
            body=message.body,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            type=message.type,
            correlation_id=message.correlation_id,
            app_id=message.app_id,
            headers=headers,
        )
        try:
            await self.bus.send_to_queue(queue, copy)
        except Exception:
            # The copy is not safely stored: let the broker redeliver the original.
            _log.warning("could not re-send failed message; requeueing", queue=queue)
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            return
        await message.ack()
