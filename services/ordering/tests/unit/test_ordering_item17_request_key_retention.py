"""Issue 19 item 17: Idempotency-Keys are deleted once past their 24 h, never before."""

from __future__ import annotations

import uuid
from datetime import timedelta

from ordering.service_layer.request_keys import prune_request_keys
from services.ordering.tests.unit.fakes import NOW, FakeOrderingUnitOfWork


async def test_item17_only_keys_older_than_the_window_are_pruned(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    for key, age in (("expired", timedelta(hours=24, seconds=1)), ("live", timedelta(hours=23))):
        await uow.request_keys.claim(
            member_id=member_id,
            key=key,
            body_hash="h",
            now=NOW - age,
            expired_before=NOW - timedelta(days=9),
        )
    assert await prune_request_keys(uow=uow, window_hours=24) == 1
    assert [key for _, key in uow.request_keys.keys] == ["live"]
