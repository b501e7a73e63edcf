"""The event bus on RabbitMQ (aio-pika): one topic exchange, queues per consumer.

Topology of a consuming service ``svc`` with prefix ``p``:

- ``p.svc`` — quorum queue bound to the exchange by each subscribed event
  type; messages the broker gives up on (delivery limit) dead-letter to
  ``p.svc.dlq``;
- ``p.svc.retry.<ms>`` — one wait queue per delay tier; a message waits there
  for its TTL and then dead-letters back to ``p.svc``;
- ``p.svc.dlq`` — quorum queue of messages that failed every attempt; the
  worker's collector moves them into the service's ``dead_letter`` table.

Publishing always waits for the broker's confirm, and is ``mandatory``: a
message no queue is bound for comes back from the broker and the publish
raises :class:`Unroutable` instead of counting as sent (the outbox relay then
keeps the row and tries again once a consumer has declared its queue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import PublishError

from bizmall_events import Envelope
from servicekit.context import CORRELATION_ID_HEADER

ATTEMPT_HEADER = "x-attempt"
ERROR_HEADER = "x-last-error"
DELIVERY_LIMIT = 20


class Unroutable(Exception):
    """The broker returned the message: no queue is bound for its routing key (yet)."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(f"no queue is bound to {exchange or '(default)'!r} for {routing_key!r}")
        self.exchange = exchange
        self.routing_key = routing_key


def queue_names(prefix: str, service: str, delays_ms: Iterable[int]) -> dict[str, Any]:
    """The names of a service's main, retry and dead-letter queues."""
    main = f"{prefix}.{service}"
    return {
        "main": main,
        "dlq": f"{main}.dlq",
        "retry": {delay: f"{main}.retry.{delay}" for delay in delays_ms},
    }


def envelope_message(
    envelope: Envelope | Mapping[str, Any], *, headers: Mapping[str, Any] | None = None
) -> aio_pika.Message:
    """The persistent AMQP message carrying ``envelope``."""
    body = envelope.model_dump(mode="json") if isinstance(envelope, Envelope) else dict(envelope)
    all_headers: dict[str, Any] = {CORRELATION_ID_HEADER: body["correlation_id"]}
    all_headers.update(headers or {})
    return aio_pika.Message(
        body=orjson.dumps(body),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(body["id"]),
        type=body["type"],
        correlation_id=body["correlation_id"],
        app_id=body.get("producer"),
        headers=all_headers,
    )


class EventBus:
    """A robust connection to RabbitMQ with a confirming publish channel."""

    def __init__(self, amqp_url: str, exchange_name: str, *, connect_timeout: float = 5.0) -> None:
        self.amqp_url = amqp_url
        self.exchange_name = exchange_name
        self.connect_timeout = connect_timeout
        self.connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Connect (once) and declare the exchange; raises when the broker is unreachable."""
        async with self._lock:
            if self.connection is not None and not self.connection.is_closed:
                return
            self.connection = await aio_pika.connect_robust(
                self.amqp_url, timeout=self.connect_timeout
            )
            # A returned (unroutable) message raises instead of confirming as sent.
            self._channel = await self.connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
            self._exchange = await self._channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )

    @property
    def connected(self) -> bool:
        """Whether the connection is up right now."""
        return (
            self.connection is not None
            and not self.connection.is_closed
            and bool(getattr(self.connection, "connected", asyncio.Event()).is_set())
        )

    async def channel(self) -> AbstractChannel:
        """A new channel on the shared connection (consumers use their own)."""
        await self.connect()
        assert self.connection is not None
        return await self.connection.channel(publisher_confirms=True)

    async def publish(
        self,
        envelope: Envelope | Mapping[str, Any],
        *,
        headers: Mapping[str, Any] | None = None,
        mandatory: bool = True,
    ) -> None:
        """Publish to the exchange with the event type as routing key; waits for the confirm.

        Raises :class:`Unroutable` when no queue is bound for the event type, unless
        ``mandatory`` is False (an event nobody consumes).
        """
        await self.connect()
        assert self._exchange is not None
        message = envelope_message(envelope, headers=headers)
        routing_key = message.type or ""
        try:
            await self._exchange.publish(
                message, routing_key=routing_key, timeout=10, mandatory=mandatory
            )
        except PublishError:
            raise Unroutable(self.exchange_name, routing_key) from None

    async def send_to_queue(self, queue: str, message: aio_pika.Message) -> None:
        """Put ``message`` straight into ``queue`` (default exchange); waits for the confirm.

        Raises :class:`Unroutable` when ``queue`` does not exist.
        """
        await self.connect()
        assert self._channel is not None
        try:
            await self._channel.default_exchange.publish(message, routing_key=queue, timeout=10)
        except PublishError:
            raise Unroutable("", queue) from None

    async def declare_consumer_topology(
        self,
        channel: AbstractChannel,
        *,
        prefix: str,
        service: str,
        event_types: Iterable[str],
        delays_ms: Iterable[int],
    ) -> tuple[AbstractQueue, AbstractQueue]:
        """Declare the service's main, retry and dead-letter queues; returns (main, dlq)."""
        delays = list(delays_ms)
        names = queue_names(prefix, service, delays)
        exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlq = await channel.declare_queue(
            names["dlq"], durable=True, arguments={"x-queue-type": "quorum"}
        )
        main = await channel.declare_queue(
            names["main"],
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": names["dlq"],
                "x-delivery-limit": DELIVERY_LIMIT,
            },
        )
        for event_type in event_types:
            await main.bind(exchange, routing_key=event_type)
        for delay, name in names["retry"].items():
            await channel.declare_queue(
                name,
                durable=True,
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": names["main"],
                },
            )
        return main, dlq

    async def close(self) -> None:
        """Close the connection (pending confirms are awaited by their publishers)."""
        if self.connection is not None:
            await self.connection.close()
        self.connection = None
        self._channel = None
        self._exchange = None
