"""Periodic jobs that run in every worker replica but execute in one at a time.

Each tick a replica tries a PostgreSQL advisory lock named after the job; the
replica that gets it runs the job, the others skip the tick. Jobs are written
to catch up (they act on everything due, not on "the last minute"), so a tick
missed during downtime costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.logging import get_logger


@dataclass(frozen=True)
class PeriodicJob:
    """A job run every ``interval_seconds`` by exactly one replica at a time."""

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[Any]]


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def run_once_if_leader(engine: AsyncEngine, job: PeriodicJob) -> bool:
    """Run ``job`` if no other replica is running it; returns whether it ran."""
    key = lock_key(job.name)
    async with engine.connect() as connection:
        got = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        await connection.commit()
        if not got:
            return False
        try:
            await job.run()
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await connection.commit()
    return True


async def run_periodically(engine: AsyncEngine, job: PeriodicJob, stop: asyncio.Event) -> None:
    """Tick ``job`` until ``stop`` is set; a failing tick is logged and retried next time."""
    log = get_logger("servicekit.scheduler").bind(job=job.name)
    while not stop.is_set():
        try:
            await run_once_if_leader(engine, job)
        except Exception as exc:
            log.warning("scheduled job failed", error=f"{type(exc).__name__}: {exc}", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=job.interval_seconds)
        except TimeoutError:
            continue
