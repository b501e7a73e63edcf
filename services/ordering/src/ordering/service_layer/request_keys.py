"""The retention of ``POST /orders``' Idempotency-Keys (issue 19 item 17).

A key is honoured ``ORDERING_IDEMPOTENCY_WINDOW_HOURS`` (24 h) after it was
claimed; after that the same key places a new order anyway, so its row only
takes space. The worker's ``ordering.request_keys.prune`` job deletes rows past
that window, in chunks of short transactions; a key inside the window is never
touched, so a replay within it still answers the first order.
"""

from __future__ import annotations

from datetime import timedelta

from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.logging import get_logger

_log = get_logger(__name__)

#: Keys deleted per transaction (short row locks beside live orders).
PRUNE_CHUNK = 5000


async def prune_request_keys(*, uow: OrderingUnitOfWork, window_hours: int) -> int:
    """Delete the keys claimed more than ``window_hours`` ago; returns how many."""
    claimed_before = uow.now() - timedelta(hours=window_hours)
    total = 0
    while True:
        async with uow:
            deleted = await uow.request_keys.prune(claimed_before=claimed_before, limit=PRUNE_CHUNK)
            await uow.commit()
        total += deleted
        if deleted < PRUNE_CHUNK:
            break
    if total:
        _log.info("idempotency keys pruned", count=total)
    return total
