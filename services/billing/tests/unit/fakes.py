"""In-memory billing repositories and unit of work: the same methods as the SQL ones
(``billing.adapters.*_repository``), so service-layer handlers run without a database.

Stored aggregates are copies: a handler's change is kept only when it saves it, as
with the SQL repositories.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from billing.domain.account import BillingAccount
from billing.domain.account_transfer import AccountTransfer, TransferStatus
from billing.domain.billing_month import UsageMonth
from billing.domain.billing_run import BillingGroup
from billing.domain.invoice import Invoice, InvoiceStatus
from billing.domain.invoice_number import InvoiceNumbers
from billing.domain.subscription import Subscription
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.pagination import Page, decode_cursor, page_of
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository

T = TypeVar("T")
_NIL = uuid.UUID(int=0)


def _stored(item: T) -> T:
    """A copy to keep (or hand out) without the events recorded on the original."""
    kept = copy.deepcopy(item)
    if hasattr(kept, "__dict__"):
        kept.__dict__.pop("_recorded_events", None)
    return kept


def _after(
    items: list[T],
    cursor: str | None,
    key: Callable[[T], tuple[Any, ...]],
    *types: type,
    descending: bool = False,
) -> list[T]:
    ordered = sorted(items, key=key, reverse=descending)
    if cursor is None:
        return ordered
    last = decode_cursor(cursor, *types)
    return [i for i in ordered if (key(i) < last if descending else key(i) > last)]


class FakeAccountRepository(InMemoryRepository[uuid.UUID, BillingAccount]):
    """Accounts by member id, and their applications."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda a: a.member_id)
        self.transfers: dict[uuid.UUID, AccountTransfer] = {}

    async def get(self, member_id: uuid.UUID, *, for_update: bool = False) -> BillingAccount | None:
        found = self.items.get(member_id)
        return self._track(_stored(found)) if found is not None else None

    async def get_by_id(
        self, account_id: uuid.UUID, *, for_update: bool = False
    ) -> BillingAccount | None:
        found = next((a for a in self.items.values() if a.id == account_id), None)
        return self._track(_stored(found)) if found is not None else None

    async def open_or_refresh(self, opened: BillingAccount) -> None:
        stored = self.items.get(opened.member_id)
        if stored is None:
            self.items[opened.member_id] = _stored(opened)
        else:
            stored.copy_member(
                member_version=opened.member_version,
                recipient=opened.recipient,
                now=opened.updated_at,
            )

    async def save(self, account: BillingAccount) -> None:
        self.items[account.member_id] = _stored(account)

    async def latest_transfer(self, account_id: uuid.UUID) -> AccountTransfer | None:
        mine = [t for t in self.transfers.values() if t.account_id == account_id]
        return _stored(max(mine, key=lambda t: t.applied_at)) if mine else None

    async def pending_transfer(self, account_id: uuid.UUID) -> AccountTransfer | None:
        return next(
            (
                _stored(t)
                for t in self.transfers.values()
                if t.account_id == account_id and t.status == "applied"
            ),
            None,
        )

    async def transfer(
        self, transfer_id: uuid.UUID, *, for_update: bool = False
    ) -> AccountTransfer | None:
        found = self.transfers.get(transfer_id)
        return _stored(found) if found is not None else None

    async def add_transfer(self, transfer: AccountTransfer) -> None:
        self.transfers[transfer.id] = _stored(transfer)

    async def save_transfer(self, transfer: AccountTransfer) -> None:
        self.transfers[transfer.id] = _stored(transfer)

    async def transfers_page(
        self, *, status: TransferStatus | None, limit: int, cursor: str | None
    ) -> Page[AccountTransfer]:
        chosen = [t for t in self.transfers.values() if status is None or t.status == status]
        rows = _after(chosen, cursor, lambda t: (t.applied_at, t.id), datetime, uuid.UUID)
        return page_of(
            [_stored(t) for t in rows[: limit + 1]], limit=limit, key=lambda t: (t.applied_at, t.id)
        )


class FakeSubscriptionRepository(InMemoryRepository[uuid.UUID, Subscription]):
    """Contract copies by contract id."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda s: s.contract_id)

    async def get(self, contract_id: uuid.UUID, *, for_update: bool = False) -> Subscription | None:
        found = self.items.get(contract_id)
        return _stored(found) if found is not None else None

    async def add_if_absent(self, copy_: Subscription) -> None:
        self.items.setdefault(copy_.contract_id, _stored(copy_))

    async def save(self, copy_: Subscription) -> None:
        self.items[copy_.contract_id] = _stored(copy_)


class FakeInvoiceRepository(InMemoryRepository[uuid.UUID, Invoice]):
    """Invoices by id, with their payments and the number counters."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda i: i.id)
        self.payments: dict[uuid.UUID, list[Any]] = {}
        self.counters: dict[tuple[str, int], int] = {}

    async def get(
        self,
        invoice_id: uuid.UUID,
        *,
        member_id: uuid.UUID | None = None,
        for_update: bool = False,
    ) -> Invoice | None:
        found = self.items.get(invoice_id)
        if found is None or (member_id is not None and found.member_id != member_id):
            return None
        return self._track(_stored(found))

    async def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        member_id: uuid.UUID | None = None,
        status: InvoiceStatus | None = None,
    ) -> Page[Invoice]:
        chosen = [
            i
            for i in self.items.values()
            if (member_id is None or i.member_id == member_id)
            and (status is None or i.status == status)
        ]
        key = lambda i: (i.issue_date, i.id)  # noqa: E731
        rows = _after(chosen, cursor, key, date, uuid.UUID, descending=True)
        return page_of([_stored(i) for i in rows[: limit + 1]], limit=limit, key=key)

    async def awaiting_settlement(self, today: date) -> list[Invoice]:
        return [
            self._track(_stored(i))
            for i in self.items.values()
            if i.status == "issued"
            and i.payment_method == "account_transfer"
            and not i.transfer_failed
            and i.due_date <= today
        ]

    async def unpaid_past_due(self, today: date) -> list[Invoice]:
        return [
            self._track(_stored(i))
            for i in self.items.values()
            if i.status == "issued"
            and i.due_date < today
            and (i.payment_method == "invoice" or i.transfer_failed)
        ]

    async def add(self, inv: Invoice) -> None:
        await self.add_all([inv])

    async def add_all(self, invoices: Sequence[Invoice]) -> None:
        for inv in invoices:
            self._track(inv)
            self.items[inv.id] = _stored(inv)

    async def save(self, inv: Invoice) -> None:
        await self.save_all([inv])

    async def save_all(self, invoices: Sequence[Invoice]) -> None:
        for inv in invoices:
            self.payments.setdefault(inv.id, []).extend(inv.recorded_payments)
            inv.recorded_payments = ()
            self.items[inv.id] = _stored(inv)

    async def lock_numbers(self, registration_number: str, year: int) -> InvoiceNumbers:
        last = self.counters.setdefault((registration_number, year), 0)
        return InvoiceNumbers(registration_number, year, last)

    async def save_numbers(self, numbers: InvoiceNumbers) -> None:
        self.counters[(numbers.registration_number, numbers.year)] = numbers.last_sequence


class FakeBillingRunRepository:
    """The run's reads over the other fakes, and the months recorded as done."""

    def __init__(self, uow: FakeBillingUnitOfWork) -> None:
        self._uow = uow
        self.done: dict[UsageMonth, int] = {}

    def _running(self, usage: UsageMonth) -> list[Subscription]:
        return [
            s
            for s in self._uow.subscriptions
            if s.start_date <= usage.last_day
            and (s.end_date is None or s.end_date >= usage.first_day)
        ]

    async def unbilled_groups(
        self, usage: UsageMonth, *, after: tuple[uuid.UUID, uuid.UUID], limit: int
    ) -> list[BillingGroup]:
        billed = {
            (i.member_id, i.service_id)
            for i in self._uow.invoices
            if i.usage_month == usage.first_day and i.corrects_invoice_id is None
        }
        accounts = {a.member_id: a for a in self._uow.accounts}
        grouped: dict[tuple[uuid.UUID, uuid.UUID], list[Subscription]] = {}
        for s in self._running(usage):
            key = (s.member_id, s.service_id)
            if s.member_id in accounts and key not in billed and key > after:
                grouped.setdefault(key, []).append(_stored(s))
        groups = []
        for key in sorted(grouped)[:limit]:
            account = accounts[key[0]]
            groups.append(
                BillingGroup(
                    member_id=key[0],
                    service_id=key[1],
                    account_payment_method=account.payment_method,
                    consolidated_mailing=account.consolidated_mailing,
                    recipient=account.recipient,
                    contracts=sorted(grouped[key], key=lambda s: (s.start_date, s.contract_id)),
                )
            )
        return groups

    async def contracts_waiting_for_account(self, usage: UsageMonth) -> int:
        members = {a.member_id for a in self._uow.accounts}
        return sum(1 for s in self._running(usage) if s.member_id not in members)

    async def mark_month_done(self, usage: UsageMonth, issued: int, now: datetime) -> None:
        self.done[usage] = self.done.get(usage, 0) + issued

    async def months_done(self) -> set[UsageMonth]:
        return set(self.done)

    async def reopen_months_from(self, month: UsageMonth) -> None:
        self.done = {m: n for m, n in self.done.items() if m < month}

    async def earliest_start(self) -> date | None:
        return min((s.start_date for s in self._uow.subscriptions), default=None)


class FakeBillingUnitOfWork(FakeUnitOfWork):
    """:class:`BillingUnitOfWork` in memory; the repositories outlive each ``async with``."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="billing", now=now)
        self.accounts = FakeAccountRepository(self)
        self.subscriptions = FakeSubscriptionRepository(self)
        self.invoices = FakeInvoiceRepository(self)
        self.runs = FakeBillingRunRepository(self)

    def factory(self) -> Callable[[], BillingUnitOfWork]:
        """Hand out this unit of work wherever a factory of them is asked for."""
        return lambda: self  # type: ignore[return-value]
