"""The shared resources of one service process, built once by its composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.bus import EventBus
from servicekit.clock import Clock
from servicekit.db import create_engine, session_factory
from servicekit.settings import ServiceSettings
from servicekit.uow import UnitOfWork


@dataclass
class Runtime:
    """Engine, sessions, bus and Redis of a process; nothing is connected until used."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    uow_class: type[UnitOfWork] = UnitOfWork
    redis: Any = None
    #: The process's one clock: routes, jobs, consumers and units of work read it.
    clock: Clock = field(default_factory=Clock)
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls, settings: ServiceSettings, *, uow_class: type[UnitOfWork] = UnitOfWork
    ) -> Runtime:
        """Create (without connecting) the resources described by ``settings``."""
        from servicekit.redis import create_redis

        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            bus=EventBus(settings.amqp_url, settings.event_exchange),
            uow_class=uow_class,
            redis=create_redis(settings.redis_url),
        )

    @property
    def service(self) -> str:
        return type(self.settings).service_name

    def uow(self) -> UnitOfWork:
        """A new unit of work of this service."""
        return self.uow_class(self.sessions, producer=self.service, clock=self.clock)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.uow

    async def close(self) -> None:
        """Release every connection."""
        await self.bus.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
