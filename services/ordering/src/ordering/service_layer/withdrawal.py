"""What blocks a member's withdrawal (R11), answered to identity synchronously."""

from __future__ import annotations

import uuid

from bizmall_events import BlockingItem
from ordering.adapters import repository
from servicekit.clock import Clock, japan_today
from servicekit.uow import UnitOfWork


async def withdrawal_blockers(
    member_id: uuid.UUID, *, uow: UnitOfWork, clock: Clock
) -> list[BlockingItem]:
    """Open orders and not-yet-ended contracts (a future cancellation counts) of services
    whose contracts must end before withdrawal."""
    today = japan_today(clock())
    orders = await repository.open_orders_blocking_withdrawal(
        session=uow.session, member_id=member_id
    )
    contracts = await repository.contracts_blocking_withdrawal(
        session=uow.session, member_id=member_id, today=today
    )
    return [
        *(
            BlockingItem(
                kind="order", id=o.id, service_id=o.service_id, service_name=o.service_name
            )
            for o in orders
        ),
        *(
            BlockingItem(
                kind="contract",
                id=c.id,
                service_id=c.service_id,
                service_name=c.service_name,
                ends_on=c.end_date,
            )
            for c in contracts
        ),
    ]
