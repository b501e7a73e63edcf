"""SPEC §4: the demo lineup loads through the ops commands, once, however often it runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from catalog.bootstrap import SERVICE
from catalog.config import Settings
from catalog.service_layer.demo_lineup import DEMO_LINEUP, seed_demo_lineup
from servicekit.testing.service import migrate_with_cli


async def test_spec4_demo_lineup_is_published_once_with_its_events(infra: Any) -> None:
    settings = await infra.service_settings(Settings)
    await migrate_with_cli(SERVICE, settings)
    runtime = SERVICE.runtime(settings)
    try:
        assert await seed_demo_lineup(runtime) == len(DEMO_LINEUP)
        assert await seed_demo_lineup(runtime) == 0
        async with runtime.engine.connect() as conn:
            statuses = (
                await conn.execute(
                    sa.text("SELECT status, count(*) FROM catalog_service GROUP BY 1")
                )
            ).all()
            events = (
                await conn.execute(sa.text("SELECT type, count(*) FROM outbox GROUP BY 1"))
            ).all()
            audited = await conn.scalar(
                sa.text("SELECT count(*) FROM audit_log WHERE actor = 'seed'")
            )
    finally:
        await runtime.close()
    assert dict(statuses) == {"published": len(DEMO_LINEUP)}
    assert dict(events) == {"catalog.service.published": len(DEMO_LINEUP)}
    assert audited == 2 * len(DEMO_LINEUP)  # created + published
