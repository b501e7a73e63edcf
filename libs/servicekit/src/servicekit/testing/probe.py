"""A probe service for the platform's own tests: one event, one table."""

from __future__ import annotations

import uuid
from typing import ClassVar

import sqlalchemy as sa
from pydantic_settings import SettingsConfigDict
from sqlmodel import Field, SQLModel

from bizmall_events import IntegrationEvent
from servicekit.migrations import PLATFORM_TABLES
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings


class ProbeSettings(ServiceSettings):
    service_name: ClassVar[str] = "kitprobe"
    model_config = SettingsConfigDict(env_prefix="KITPROBE_", extra="ignore")


class ProbeHappened(IntegrationEvent):
    """A test event."""

    TYPE: ClassVar[str] = "kitprobe.probe.happened"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"sealed_note"})
    probe_id: uuid.UUID
    note: str = ""
    sealed_note: str = ""


class ProbeEffect(SQLModel, table=True):
    """One row per handled probe event: the effect that must happen once."""

    __tablename__ = "kitprobe_effect"

    id: int | None = Field(default=None, primary_key=True)
    probe_id: uuid.UUID = Field(index=True)


async def create_tables(runtime: Runtime) -> None:
    tables = [m.__table__ for m in PLATFORM_TABLES] + [ProbeEffect.__table__]  # type: ignore[attr-defined]
    async with runtime.engine.begin() as conn:
        await conn.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=tables))


async def effect_count(runtime: Runtime, probe_id: uuid.UUID) -> int:
    async with runtime.sessions() as session:
        result = await session.execute(
            sa.select(sa.func.count()).where(ProbeEffect.probe_id == probe_id)  # type: ignore[arg-type]
        )
        return int(result.scalar_one())
