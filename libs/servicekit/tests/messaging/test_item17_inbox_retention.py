"""Issue 19, item 17 (servicekit part): inbox rows are pruned past their retention.

The worker deletes inbox rows older than ``<NAME>_INBOX_RETENTION_DAYS`` (30 by
default, far longer than any retry or redelivery window) next to the outbox
pruning; a redelivery inside the retention still finds its row and is skipped.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from servicekit.clock import system_clock
from servicekit.inbox import InboxRecord, claim
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from servicekit.worker import Worker


async def inbox_ids(runtime: Runtime) -> set[uuid.UUID]:
    async with runtime.sessions() as session:
        return set((await session.execute(sa.select(InboxRecord.event_id))).scalars())


def test_item17_inbox_retention_is_a_setting_of_30_days_by_default() -> None:
    assert ServiceSettings().inbox_retention_days == 30


async def test_item17_worker_prunes_old_inbox_rows_and_still_skips_recent_redeliveries(
    probe: Runtime,
) -> None:
    now = system_clock()
    old, recent = uuid.uuid4(), uuid.uuid4()
    async with probe.sessions() as session, session.begin():
        session.add(
            InboxRecord(
                consumer="kitprobe.c",
                event_id=old,
                event_type="t",
                processed_at=now - timedelta(days=31),
            )
        )
        session.add(
            InboxRecord(
                consumer="kitprobe.c",
                event_id=recent,
                event_type="t",
                processed_at=now - timedelta(days=29),
            )
        )

    worker = Worker(probe, subscriptions={})
    (prune,) = [job for job in worker.jobs if job.name == "kitprobe.inbox.prune"]
    await prune.run()

    assert await inbox_ids(probe) == {recent}
    # A redelivery of the recent event is still recognised as a duplicate.
    async with probe.sessions() as session, session.begin():
        again = await claim(session, consumer="kitprobe.c", event_id=recent, event_type="t")
    assert again is False
