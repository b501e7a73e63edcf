"""What blocks a member's withdrawal (R11), answered to identity synchronously."""

from __future__ import annotations

import uuid

from bizmall_events import BlockingItem
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.clock import japan_today


async def withdrawal_blockers(
    *, uow: OrderingUnitOfWork, member_id: uuid.UUID
) -> list[BlockingItem]:
    """Open orders and not-yet-ended contracts (a future cancellation counts) of services
    whose contracts must end before withdrawal."""
    today = japan_today(uow.now())
    orders = await uow.orders.blocking_withdrawal(member_id)
    contracts = await uow.contracts.blocking_withdrawal(member_id=member_id, today=today)
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
