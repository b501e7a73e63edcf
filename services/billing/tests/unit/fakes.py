"""In-memory billing repositories and unit of work: the same methods as the SQL ones
(``billing.adapters.*_repository``), so service-layer handlers run without a database.

Stored aggregates are copies: a handler's change is kept only when it saves it, as
with the SQL repositories.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar

from billing.domain.account import BillingAccount
from billing.domain.account_transfer import AccountTransfer, TransferStatus
from billing.domain.bank_statement import BankStatement
from billing.domain.billing_month import UsageMonth
from billing.domain.billing_run import BillingGroup, FailedGroup, RunRecord
from billing.domain.collection import Debit, DebitBatch
from billing.domain.invoice import Invoice, InvoiceStatus
from billing.domain.invoice_number import InvoiceNumbers
from billing.domain.member_name import MemberName
from billing.domain.reconciliation import payer_key
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
                name_kana=opened.name_kana,
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
        self,
        *,
        status: TransferStatus | None,
        limit: int,
        cursor: str | None,
        member_id: uuid.UUID | None = None,
    ) -> Page[AccountTransfer]:
        chosen = [
            t
            for t in self.transfers.values()
            if (status is None or t.status == status)
            and (member_id is None or t.member_id == member_id)
        ]
        rows = _after(chosen, cursor, lambda t: (t.applied_at, t.id), datetime, uuid.UUID)
        return page_of(
            [_stored(t) for t in rows[: limit + 1]], limit=limit, key=lambda t: (t.applied_at, t.id)
        )

    async def member_names(self, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, MemberName]:
        return {
            a.member_id: MemberName(a.recipient.organization_name, a.recipient.name)
            for a in self.items.values()
            if a.member_id in set(member_ids)
        }


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
        issued: tuple[date, date] | None = None,
    ) -> Page[Invoice]:
        chosen = [
            i
            for i in self.items.values()
            if (member_id is None or i.member_id == member_id)
            and (status is None or i.status == status)
            and (issued is None or issued[0] <= i.issue_date <= issued[1])
        ]
        key = lambda i: (i.issue_date, i.id)  # noqa: E731
        rows = _after(chosen, cursor, key, date, uuid.UUID, descending=True)
        return page_of([_stored(i) for i in rows[: limit + 1]], limit=limit, key=key)

    async def stream_issued(
        self, first: date, last: date, *, chunk: int = 500
    ) -> AsyncIterator[list[Invoice]]:
        chosen = sorted(
            (i for i in self.items.values() if first <= i.issue_date <= last),
            key=lambda i: (i.invoice_number, i.id),
        )
        for start in range(0, len(chosen), chunk):
            yield [_stored(i) for i in chosen[start : start + chunk]]

    async def unpaid_past_due(self, today: date) -> list[Invoice]:
        return [
            self._track(_stored(i))
            for i in self.items.values()
            if i.status == "issued"
            and i.payable_by < today
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
    """The run's reads over the other fakes, the contracts billed per month, the months
    recorded as done and the background runs."""

    def __init__(self, uow: FakeBillingUnitOfWork) -> None:
        self._uow = uow
        self.done: dict[UsageMonth, int] = {}
        #: (contract id, month) → the invoice it went on (None: it owed nothing).
        self.billed: dict[tuple[uuid.UUID, UsageMonth], uuid.UUID | None] = {}
        self.runs: dict[uuid.UUID, RunRecord] = {}
        #: Called with the cursor before each batch is read (tests act "during" a run).
        self.before_batch: Callable[[tuple[uuid.UUID, uuid.UUID]], Awaitable[None]] | None = None

    def _running(self, usage: UsageMonth) -> list[Subscription]:
        return [
            s
            for s in self._uow.subscriptions
            if s.start_date <= usage.last_day
            and (s.end_date is None or s.end_date >= usage.first_day)
        ]

    def _unbilled(self, usage: UsageMonth) -> list[Subscription]:
        members = {a.member_id for a in self._uow.accounts}
        return [
            s
            for s in self._running(usage)
            if s.member_id in members and (s.contract_id, usage) not in self.billed
        ]

    async def unbilled_groups(
        self, usage: UsageMonth, *, after: tuple[uuid.UUID, uuid.UUID], limit: int
    ) -> list[BillingGroup]:
        if self.before_batch is not None:
            await self.before_batch(after)
        accounts = {a.member_id: a for a in self._uow.accounts}
        grouped: dict[tuple[uuid.UUID, uuid.UUID], list[Subscription]] = {}
        for s in self._unbilled(usage):
            key = (s.member_id, s.service_id)
            if key > after:
                grouped.setdefault(key, []).append(_stored(s))
        groups = []
        for key in sorted(grouped)[:limit]:
            account = accounts[key[0]]
            invoiced = [
                i.supplement_no
                for i in self._uow.invoices
                if (i.member_id, i.service_id) == key
                and i.usage_month == usage.first_day
                and i.corrects_invoice_id is None
            ]
            groups.append(
                BillingGroup(
                    member_id=key[0],
                    service_id=key[1],
                    account_payment_method=account.payment_method,
                    consolidated_mailing=account.consolidated_mailing,
                    recipient=account.recipient,
                    contracts=sorted(grouped[key], key=lambda s: (s.start_date, s.contract_id)),
                    supplement_no=max(invoiced) + 1 if invoiced else 0,
                )
            )
        return groups

    async def record_billed(
        self,
        usage: UsageMonth,
        billed: Iterable[tuple[uuid.UUID, uuid.UUID | None]],
        now: datetime,
    ) -> None:
        for contract_id, invoice_id in billed:
            key = (contract_id, usage)
            if key in self.billed:
                raise AssertionError(f"contract {contract_id} billed twice for {usage}")
            self.billed[key] = invoice_id

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        yield

    async def count_unbilled(self, usage: UsageMonth) -> int:
        return len(self._unbilled(usage))

    async def remaining_groups(
        self, usage: UsageMonth, *, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return sorted({(s.member_id, s.service_id) for s in self._unbilled(usage)})[:limit]

    async def lock_months(self) -> None:
        return None

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

    async def add_run(self, run: RunRecord) -> None:
        self.runs[run.id] = run

    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None:
        return self.runs.get(run_id)

    async def runs_page(self, *, limit: int, cursor: str | None) -> Page[RunRecord]:
        key = lambda r: (r.requested_at, r.id)  # noqa: E731
        rows = _after(list(self.runs.values()), cursor, key, datetime, uuid.UUID, descending=True)
        return page_of(rows[: limit + 1], limit=limit, key=key)

    async def open_run_months(self) -> set[UsageMonth]:
        return {r.usage for r in self.runs.values() if r.status in ("queued", "running")}

    async def claim_run(self, now: datetime) -> RunRecord | None:
        open_runs = sorted(
            (r for r in self.runs.values() if r.status in ("queued", "running")),
            key=lambda r: (r.requested_at, r.usage_month, r.id),
        )
        if not open_runs:
            return None
        run = open_runs[0]
        claimed = replace(
            run, status="running", started_at=run.started_at or now, attempts=run.attempts + 1
        )
        self.runs[run.id] = claimed
        return claimed

    async def start_run(self, run_id: uuid.UUID, *, issue_date: date, unbilled: int) -> None:
        run = self.runs[run_id]
        self.runs[run_id] = replace(
            run, issue_date=issue_date, contracts_total=run.contracts_done + unbilled
        )

    async def record_progress(
        self,
        run_id: uuid.UUID,
        *,
        contracts: int,
        invoices: int,
        supplementary: int,
        failed: Sequence[FailedGroup] = (),
        found: int = 0,
    ) -> None:
        run = self.runs[run_id]
        self.runs[run_id] = replace(
            run,
            contracts_done=run.contracts_done + contracts,
            contracts_total=max(run.contracts_total + found, run.contracts_done + contracts),
            invoices_issued=run.invoices_issued + invoices,
            supplementary_issued=run.supplementary_issued + supplementary,
            failed_groups=(*run.failed_groups, *failed),
        )

    async def finish_run(
        self, run_id: uuid.UUID, *, now: datetime, waiting: int, error: str | None = None
    ) -> None:
        self.runs[run_id] = replace(
            self.runs[run_id],
            status="failed" if error else "done",
            finished_at=now,
            contracts_waiting_for_account=waiting,
            error=error,
        )


class FakeStatementRepository:
    """Bank statement imports in memory; matching reads the fake invoices and accounts
    (R36)."""

    def __init__(self, uow: FakeBillingUnitOfWork) -> None:
        self._uow = uow
        self.items: dict[uuid.UUID, BankStatement] = {}
        self.locks = 0

    async def lock_imports(self) -> None:
        self.locks += 1

    async def get(
        self, statement_id: uuid.UUID, *, for_update: bool = False
    ) -> BankStatement | None:
        found = self.items.get(statement_id)
        return self._uow.track(_stored(found)) if found is not None else None

    async def by_file(self, sha256: str) -> BankStatement | None:
        found = next((s for s in self.items.values() if s.file_sha256 == sha256), None)
        return _stored(found) if found is not None else None

    async def page(self, *, limit: int, cursor: str | None) -> Page[BankStatement]:
        key = lambda s: (s.imported_at, s.id)  # noqa: E731
        rows = _after(list(self.items.values()), cursor, key, datetime, uuid.UUID, descending=True)
        return page_of([_stored(s) for s in rows[: limit + 1]], limit=limit, key=key)

    async def known_lines(self, keys: Sequence[str]) -> dict[str, uuid.UUID]:
        return {
            line.line_key: line.id
            for s in self.items.values()
            for line in s.lines
            if line.line_key in keys and line.status != "duplicate"
        }

    def _key(self, inv: Invoice) -> str:
        account = self._uow.accounts.items.get(inv.member_id)
        return payer_key(account.name_kana) if account else ""

    async def lock_matchable(
        self, *, numbers: Sequence[str], payer_keys: Sequence[str]
    ) -> list[tuple[Invoice, str]]:
        return [
            (self._uow.invoices._track(_stored(i)), self._key(i))
            for i in sorted(self._uow.invoices, key=lambda i: i.id)
            if i.invoice_number in numbers
            or (self._key(i) in payer_keys and i.status in ("issued", "overdue"))
        ]

    async def open_by_amount(
        self, amounts: Sequence[int], *, per_amount: int = 10
    ) -> dict[int, list[uuid.UUID]]:
        found: dict[int, list[uuid.UUID]] = {}
        for i in sorted(self._uow.invoices, key=lambda i: (i.due_date, i.id)):
            if i.status in ("issued", "overdue") and i.amount_due in amounts:
                hints = found.setdefault(i.amount_due, [])
                if len(hints) < per_amount:
                    hints.append(i.id)
        return found

    async def add(self, statement: BankStatement) -> None:
        statement.changed_lines.clear()
        self._uow.track(statement)
        self.items[statement.id] = _stored(statement)

    async def save(self, statement: BankStatement) -> None:
        statement.changed_lines.clear()
        self.items[statement.id] = _stored(statement)


class FakeCollectionRepository:
    """Debit batches in memory over the fake invoices and applications (R35)."""

    def __init__(self, uow: FakeBillingUnitOfWork) -> None:
        self._uow = uow
        self.batches: dict[uuid.UUID, DebitBatch] = {}

    async def lock_date(self, collection_date: date) -> None:
        return None

    async def get(self, batch_id: uuid.UUID, *, for_update: bool = False) -> DebitBatch | None:
        found = self.batches.get(batch_id)
        return self._uow.track(_stored(found)) if found is not None else None

    async def by_date(self, collection_date: date) -> DebitBatch | None:
        found = next(
            (b for b in self.batches.values() if b.collection_date == collection_date), None
        )
        return self._uow.track(_stored(found)) if found is not None else None

    async def page(self, *, limit: int, cursor: str | None) -> Page[DebitBatch]:
        key = lambda b: (b.collection_date, b.id)  # noqa: E731
        rows = _after(list(self.batches.values()), cursor, key, date, uuid.UUID, descending=True)
        return page_of([_stored(b) for b in rows[: limit + 1]], limit=limit, key=key)

    def _debits(self) -> list[Debit]:
        return [d for b in self.batches.values() for d in b.debits]

    async def failed_debits(self, *, limit: int, cursor: str | None) -> Page[Debit]:
        failed = [d for d in self._debits() if d.status == "failed"]
        key = lambda d: (d.result_at, d.id)  # noqa: E731
        rows = _after(failed, cursor, key, datetime, uuid.UUID, descending=True)
        return page_of([_stored(d) for d in rows[: limit + 1]], limit=limit, key=key)

    async def candidates(self, collection_date: date) -> list[tuple[Invoice, AccountTransfer]]:
        asked = {d.invoice_id for d in self._debits()}
        accounts = {a.id: a.member_id for a in self._uow.accounts}
        transfers: dict[uuid.UUID, AccountTransfer] = {}
        for t in sorted(
            self._uow.accounts.transfers.values(), key=lambda t: t.decided_at or t.applied_at
        ):
            if t.status == "completed":
                transfers[accounts[t.account_id]] = _stored(t)
        return [
            (self._uow.invoices._track(_stored(i)), transfers[i.member_id])
            for i in self._uow.invoices
            if i.status == "issued"
            and i.payment_method == "account_transfer"
            and not i.transfer_failed
            and i.due_date <= collection_date
            and i.id not in asked
            and i.member_id in transfers
        ]

    async def sealed_details(self, transfer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        known = self._uow.accounts.transfers
        return {t: known[t].sealed_details for t in set(transfer_ids)}

    async def invoices_of(self, batch: DebitBatch) -> dict[uuid.UUID, Invoice]:
        items = self._uow.invoices.items
        return {
            d.invoice_id: self._uow.invoices._track(_stored(items[d.invoice_id]))
            for d in batch.debits
        }

    async def debit_pending(self, invoice_id: uuid.UUID) -> bool:
        return any(d.invoice_id == invoice_id and d.status == "pending" for d in self._debits())

    async def add(self, batch: DebitBatch) -> None:
        self._uow.track(batch)
        self.batches[batch.id] = _stored(batch)

    async def save(self, batch: DebitBatch, *, changed: Iterable[Debit] | None = None) -> None:
        self.batches[batch.id] = _stored(batch)


class FakeBillingUnitOfWork(FakeUnitOfWork):
    """:class:`BillingUnitOfWork` in memory; the repositories outlive each ``async with``."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="billing", now=now)
        self.accounts = FakeAccountRepository(self)
        self.subscriptions = FakeSubscriptionRepository(self)
        self.invoices = FakeInvoiceRepository(self)
        self.runs = FakeBillingRunRepository(self)
        self.statements = FakeStatementRepository(self)
        self.collections = FakeCollectionRepository(self)

    def factory(self) -> Callable[[], BillingUnitOfWork]:
        """Hand out this unit of work wherever a factory of them is asked for."""
        return lambda: self  # type: ignore[return-value]
