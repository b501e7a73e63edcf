"""Where the test servers are, and per-run isolation on them.

The servers come from ``TEST_DATABASE_URL``, ``TEST_AMQP_URL`` and
``TEST_REDIS_URL`` when set; else from the standard local ports when something
answers there; else testcontainers starts them (machines with Docker only).

Each run gets a short ``run_id``; every database it creates is named after it
and dropped at the end; its exchange, queue prefix and Redis namespace carry it
too, so two runs on one machine never see each other's data.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from servicekit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def port_open(url: str, default_port: int) -> bool:
    """Whether something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        with socket.create_connection(address, 1):
            return True
    except OSError:
        return False


def libpq_dsn(url: str) -> str:
    """A plain ``postgresql://`` DSN for asyncpg from a SQLAlchemy URL."""
    parts = urlsplit(url)
    scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def with_database(dsn: str, database: str, *, driver: str = "postgresql+asyncpg") -> str:
    """The same server DSN pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit((driver, parts.netloc, "/" + database, parts.query, parts.fragment))


@dataclass
class Infra:
    """The servers a test run uses and what the run created on them."""

    postgres_dsn: str
    amqp_url: str
    redis_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    databases: list[str] = field(default_factory=list)
    _containers: list[Any] = field(default_factory=list)

    @property
    def exchange(self) -> str:
        return f"bizmall.test.{self.run_id}"

    @property
    def queue_prefix(self) -> str:
        return f"t{self.run_id}"

    @property
    def redis_namespace(self) -> str:
        return f"t{self.run_id}"

    async def create_database(self, hint: str) -> str:
        """Create a fresh database for this run; returns its SQLAlchemy asyncpg URL."""
        safe = "".join(c if c.isalnum() else "_" for c in hint.lower())[:30]
        name = f"t_{self.run_id}_{safe}_{len(self.databases)}"
        conn = await asyncpg.connect(self.postgres_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.databases.append(name)
        return with_database(self.postgres_dsn, name)

    async def service_settings(self, settings_cls: type[S], **overrides: Any) -> S:
        """Settings of ``settings_cls`` on a fresh database and this run's broker names."""
        values: dict[str, Any] = {
            "amqp_url": self.amqp_url,
            "redis_url": self.redis_url,
            "event_exchange": self.exchange,
            "queue_prefix": self.queue_prefix,
            "redis_namespace": self.redis_namespace,
            "retry_delays_ms": [200, 400],
            "max_attempts": 3,
            "outbox_poll_seconds": 0.5,
            # Many apps live at once in a test run; keep PostgreSQL's slots for them all.
            "db_pool_size": 3,
        }
        if "database_url" not in overrides:
            values["database_url"] = await self.create_database(settings_cls.service_name)
        values.update(overrides)
        return settings_cls(**values)

    async def cleanup(self) -> None:
        """Drop the run's databases, exchanges, queues and Redis keys."""
        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(self.postgres_dsn)
            try:
                for name in self.databases:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        with contextlib.suppress(Exception):
            await self._cleanup_broker()
        with contextlib.suppress(Exception):
            await self._cleanup_redis()
        for container in self._containers:
            with contextlib.suppress(Exception):
                container.stop()

    async def _cleanup_broker(self) -> None:
        import aio_pika

        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.exchange_delete(self.exchange)
            for exchange in await self._rabbitmqctl_names("list_exchanges"):
                if exchange.startswith(self.exchange + "."):
                    channel = await connection.channel()
                    with contextlib.suppress(Exception):
                        await channel.exchange_delete(exchange)
            for queue in await self._run_queues():
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)

    async def _run_queues(self) -> list[str]:
        """Queues this run declared (listed with rabbitmqctl when it is available)."""
        names = await self._rabbitmqctl_names("list_queues")
        return [n for n in names if n.startswith(self.queue_prefix + ".")]

    async def _rabbitmqctl_names(self, listing: str) -> list[str]:
        """Names rabbitmqctl lists (queues or exchanges); empty without rabbitmqctl."""
        import asyncio
        import shutil

        if not shutil.which("rabbitmqctl"):
            return []
        proc = await asyncio.create_subprocess_exec(
            "rabbitmqctl",
            listing,
            "-q",
            "--no-table-headers",
            "name",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await proc.communicate()
        return [line.strip() for line in out.decode().splitlines() if line.strip()]

    async def _cleanup_redis(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(self.redis_url)
        try:
            async for key in client.scan_iter(match=f"{self.redis_namespace}:*", count=500):
                await client.delete(key)
        finally:
            await client.aclose()


def discover() -> Infra:
    """Find (or start) the three servers the tests need."""
    pg = os.environ.get("TEST_DATABASE_URL")
    amqp = os.environ.get("TEST_AMQP_URL")
    rds = os.environ.get("TEST_REDIS_URL")
    containers: list[Any] = []
    if not pg:
        if port_open(DEFAULT_POSTGRES, 5432):
            pg = DEFAULT_POSTGRES
        else:
            from testcontainers.postgres import PostgresContainer

            c = PostgresContainer("postgres:16-alpine", driver=None).start()
            containers.append(c)
            pg = c.get_connection_url()
    if not amqp:
        if port_open(DEFAULT_AMQP, 5672):
            amqp = DEFAULT_AMQP
        else:
            from testcontainers.rabbitmq import RabbitMqContainer

            r = RabbitMqContainer("rabbitmq:3.13-management").start()
            containers.append(r)
            amqp = f"amqp://guest:guest@{r.get_container_host_ip()}:{r.get_exposed_port(5672)}/"
    if not rds:
        if port_open(DEFAULT_REDIS, 6379):
            rds = DEFAULT_REDIS
        else:
            from testcontainers.redis import RedisContainer

            d = RedisContainer("redis:7-alpine").start()
            containers.append(d)
            rds = f"redis://{d.get_container_host_ip()}:{d.get_exposed_port(6379)}/0"
    infra = Infra(postgres_dsn=libpq_dsn(pg), amqp_url=amqp, redis_url=rds)
    infra._containers = containers
    return infra
