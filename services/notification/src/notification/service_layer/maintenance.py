"""Publishing the maintenance windows to Redis for the gateway (R1).

The contract is the gateway's (``gateway.maintenance``): key
``<namespace>:maintenance:active`` holding a JSON list of
``{notice_id, functions, starts_at, ends_at, message_ja, message_en}``. Every
window not yet over is written, upcoming ones included: the gateway compares
``starts_at``/``ends_at`` with its clock, so a window starts and ends on time
even between two refreshes. The key has no expiry: if notification is down,
the windows already announced must still hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from notification.adapters.tables import Notice
from notification.domain.notices import MAINTENANCE_CATEGORIES
from servicekit.clock import system_clock
from servicekit.logging import get_logger
from servicekit.redis import key
from servicekit.runtime import Runtime

_log = get_logger("notification.maintenance")


def maintenance_key(namespace: str) -> str:
    """The Redis key the gateway reads the windows from."""
    return key(namespace, "maintenance", "active")


async def open_windows(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Every maintenance window of a live notice that has not ended, soonest first."""
    rows = (
        await session.execute(
            select(Notice)
            .where(col(Notice.category).in_(MAINTENANCE_CATEGORIES))
            .where(col(Notice.withdrawn_at).is_(None))
            .where(col(Notice.ends_at) > now)
            .order_by(col(Notice.starts_at))
        )
    ).scalars()
    return [
        {
            "notice_id": str(row.id),
            "functions": sorted(row.functions),
            "starts_at": row.starts_at.isoformat() if row.starts_at else None,
            "ends_at": row.ends_at.isoformat() if row.ends_at else None,
            "message_ja": f"{row.title_ja}：{row.body_ja}",
            "message_en": f"{row.title_en}: {row.body_en}",
        }
        for row in rows
    ]


async def publish_maintenance(runtime: Runtime) -> list[dict[str, Any]]:
    """Rewrite the gateway's key from the notices; returns the windows written."""
    async with runtime.sessions() as session:
        windows = await open_windows(session, system_clock())
    await runtime.redis.set(
        maintenance_key(runtime.settings.redis_namespace), orjson.dumps(windows)
    )
    return windows


async def publish_maintenance_soon(runtime: Runtime) -> None:
    """Publish after a notice changed; on a Redis error the periodic job catches up."""
    try:
        await publish_maintenance(runtime)
    except Exception as exc:
        _log.warning("maintenance windows not published; the next refresh will", error=str(exc))
