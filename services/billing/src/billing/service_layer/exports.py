"""The accounting export (R38) and the member names of the ops lists (R30)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable

from billing.domain import accounting_export
from billing.domain.billing_month import UsageMonth
from billing.domain.member_name import MemberName
from billing.service_layer.unit_of_work import BillingUnitOfWork

#: Invoices read and written per chunk of the export.
CHUNK = 500


async def accounting_csv(
    *, uow_factory: Callable[[], BillingUnitOfWork], month: UsageMonth
) -> AsyncIterator[bytes]:
    """The month's invoices as the accounting CSV (``domain.accounting_export``),
    chunk by chunk, in one read-only unit of work held while the file streams."""
    yield accounting_export.header().encode()
    async with uow_factory() as uow:
        async for chunk in uow.invoices.stream_issued(month.first_day, month.last_day, chunk=CHUNK):
            yield accounting_export.rows(chunk).encode()


async def member_names(
    *, uow: BillingUnitOfWork, member_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, MemberName]:
    """Organization and person of each member billing holds a copy of (R30: an ops
    list names them, never a bare id). Members without an account are left out."""
    wanted = set(member_ids)
    if not wanted:
        return {}
    return await uow.accounts.member_names(wanted)
