"""The monthly billing run (R22, R23): one invoice per member, service and usage month.

The run works in batches of groups (member, service), each batch one
transaction that
1. locks the issuer's invoice-number counter row of the year (``FOR UPDATE``),
   so concurrent runs take turns and numbers stay gapless;
2. reads, after getting the lock, the next groups that have no invoice for the
   month yet (a keyset cursor moves past groups that owe nothing, e.g. a free
   first month);
3. prices them with the pure money rules, inserts invoices and lines with
   consecutive numbers, queues ``billing.invoice.issued`` in the outbox and
   moves the counter — all committed together.
A unique index on (member, service, month) backs the rule up: two runs at once
can never both insert an invoice for the same group. A month whose every group
was invoiced is recorded in ``billing_run_month``, so the scheduled job catches up
missed months without rescanning finished ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from prometheus_client import Histogram
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import (
    billing_run_month,
    invoice,
    invoice_line,
    invoice_number_counter,
    subscription,
)
from billing.config import Settings
from billing.domain.billing_month import (
    UsageMonth,
    invoice_due_date,
    issue_date_for,
    scheduled_issue_date,
    transfer_date,
)
from billing.domain.charges import Charge, ContractTermsForBilling, charges_for
from billing.domain.invoice_number import invoice_number
from billing.domain.invoice_totals import InvoiceTotals
from bizmall_events import InvoiceIssued, LocalizedText
from servicekit.logging import get_logger
from servicekit.metrics import REGISTRY
from servicekit.uow import UnitOfWork

_log = get_logger(__name__)

RUN_DURATION = Histogram(
    "bizmall_billing_run_duration_seconds",
    "Time a billing run of one usage month took (completed runs).",
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)

_NIL = uuid.UUID(int=0)

# The next groups lacking this month's invoice, after the keyset cursor, with
# every contract of each group that runs during the month and the recipient.
_BATCH = sa.text(
    """
    WITH grp AS (
        SELECT s.member_id, s.service_id
        FROM billing_subscription s
        JOIN billing_account a ON a.member_id = s.member_id
        WHERE s.start_date <= :last_day
          AND (s.end_date IS NULL OR s.end_date >= :first_day)
          AND (s.member_id, s.service_id) > (:after_member, :after_service)
          AND NOT EXISTS (
              SELECT 1 FROM invoice i
              WHERE i.member_id = s.member_id AND i.service_id = s.service_id
                AND i.usage_month = :first_day AND i.corrects_invoice_id IS NULL)
        GROUP BY s.member_id, s.service_id
        ORDER BY s.member_id, s.service_id
        LIMIT :batch
    )
    SELECT s.contract_id, s.member_id, s.service_id, s.service_name, s.plan_name,
           s.quantity, s.monthly_fee, s.initial_fee, s.free_first_month,
           s.allows_account_transfer, s.start_date, s.end_date, s.early_termination_fee,
           a.payment_method AS account_method, a.consolidated_mailing,
           a.entity_type, a.name, a.organization_name, a.department, a.postal_code, a.address
    FROM grp
    JOIN billing_subscription s
      ON s.member_id = grp.member_id AND s.service_id = grp.service_id
    JOIN billing_account a ON a.member_id = grp.member_id
    WHERE s.start_date <= :last_day AND (s.end_date IS NULL OR s.end_date >= :first_day)
    ORDER BY s.member_id, s.service_id, s.start_date, s.contract_id
    """
)

# Groups that cannot be billed yet because identity's verified member has not arrived.
_WITHOUT_ACCOUNT = sa.text(
    """
    SELECT count(*) FROM billing_subscription s
    WHERE s.start_date <= :last_day AND (s.end_date IS NULL OR s.end_date >= :first_day)
      AND NOT EXISTS (SELECT 1 FROM billing_account a WHERE a.member_id = s.member_id)
    """
)


@dataclass(frozen=True)
class RunResult:
    """What one run of one month did."""

    usage_month: UsageMonth
    issue_date: date
    invoices_issued: int
    contracts_waiting_for_account: int


@dataclass(frozen=True)
class _Issuing:
    usage: UsageMonth
    issue_date: date
    issuer: dict[str, str]
    transfer_day: int
    now: datetime


async def run_billing(
    *,
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    usage: UsageMonth,
    now: datetime,
    today: date,
) -> RunResult:
    """Issue every missing invoice of ``usage`` (idempotent; safe beside another run)."""
    if usage >= UsageMonth.of(today):
        raise ValueError("a month is billed once it has ended")
    started = time.perf_counter()
    issuing = _Issuing(
        usage=usage,
        issue_date=issue_date_for(usage, today),
        issuer={
            "name": settings.issuer_name,
            "registration_number": settings.issuer_registration_number,
            "address": settings.issuer_address,
            "payee_bank_account": settings.payee_bank_account,
            "inquiry_phone": settings.billing_inquiry_phone,
        },
        transfer_day=settings.transfer_day,
        now=now,
    )
    cursor = (_NIL, _NIL)
    issued = 0
    while True:
        async with uow_factory() as uow:
            count, cursor_or_none = await _issue_batch(
                uow, issuing, cursor, settings.run_batch_size
            )
            await uow.commit()
        issued += count
        if cursor_or_none is None:
            break
        cursor = cursor_or_none
    async with uow_factory() as uow:
        bounds = {"first_day": usage.first_day, "last_day": usage.last_day}
        waiting = int(await uow.session.scalar(_WITHOUT_ACCOUNT, bounds) or 0)
        if waiting:
            _log.warning(
                "contracts wait for their billing account", month=str(usage), count=waiting
            )
        else:
            await _mark_month_done(uow, usage, issued, now)
        await uow.commit()
    RUN_DURATION.observe(time.perf_counter() - started)
    _log.info("billing run done", month=str(usage), invoices=issued)
    return RunResult(usage, issuing.issue_date, issued, waiting)


async def _lock_counter(uow: UnitOfWork, registration_number: str, year: int) -> int:
    key = {"issuer_registration_number": registration_number, "year": year}
    await uow.session.execute(
        insert(invoice_number_counter).values(**key, last_sequence=0).on_conflict_do_nothing()
    )
    last: int = await uow.session.scalar(
        sa.select(invoice_number_counter.c.last_sequence).filter_by(**key).with_for_update()
    )
    return last


async def _issue_batch(
    uow: UnitOfWork,
    issuing: _Issuing,
    cursor: tuple[uuid.UUID, uuid.UUID],
    batch_size: int,
) -> tuple[int, tuple[uuid.UUID, uuid.UUID] | None]:
    """Issue one batch; returns how many were issued and the cursor (None when done)."""
    registration = issuing.issuer["registration_number"]
    year = issuing.issue_date.year
    sequence = await _lock_counter(uow, registration, year)
    rows = (
        (
            await uow.session.execute(
                _BATCH,
                {
                    "first_day": issuing.usage.first_day,
                    "last_day": issuing.usage.last_day,
                    "after_member": cursor[0],
                    "after_service": cursor[1],
                    "batch": batch_size,
                },
            )
        )
        .mappings()
        .all()
    )
    if not rows:
        return 0, None
    invoices: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    last_group = cursor
    groups = 0
    for (member_id, service_id), contracts in groupby(
        rows, key=lambda r: (r["member_id"], r["service_id"])
    ):
        groups += 1
        last_group = (member_id, service_id)
        priced = _price_group(list(contracts), issuing)
        if priced is None:
            continue
        sequence += 1
        head, group_lines = priced
        head["invoice_number"] = invoice_number(year, sequence)
        invoices.append(head)
        lines.extend(group_lines)
    if invoices:
        await uow.session.execute(sa.insert(invoice), invoices)
        await uow.session.execute(sa.insert(invoice_line), lines)
        await uow.session.execute(
            sa.update(invoice_number_counter)
            .filter_by(issuer_registration_number=registration, year=year)
            .values(last_sequence=sequence)
        )
        for head in invoices:
            uow.publish(issued_event(head))
    done = groups < batch_size
    return len(invoices), None if done else last_group


def _price_group(
    contracts: list[Any], issuing: _Issuing
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The invoice row and line rows of one group, or None when it owes nothing."""
    usage = issuing.usage
    invoice_id = uuid.uuid4()
    lines: list[dict[str, Any]] = []
    charges: list[Charge] = []
    for contract in contracts:
        terms = ContractTermsForBilling(
            quantity=contract["quantity"],
            monthly_fee=contract["monthly_fee"],
            initial_fee=contract["initial_fee"],
            free_first_month=contract["free_first_month"],
            start_date=contract["start_date"],
            end_date=contract["end_date"],
            early_termination_fee=contract["early_termination_fee"],
        )
        for charge in charges_for(terms, usage):
            charges.append(charge)
            lines.append(
                {
                    "invoice_id": invoice_id,
                    "position": len(lines) + 1,
                    "contract_id": contract["contract_id"],
                    "kind": charge.kind,
                    "plan_name": contract["plan_name"],
                    "quantity": charge.quantity,
                    "unit_price": charge.unit_price,
                    "amount": charge.amount,
                    "taxable": charge.taxable,
                    "period_start": charge.period_start,
                    "period_end": charge.period_end,
                }
            )
    totals = InvoiceTotals.of(charges)
    if totals.total == 0:
        return None
    first = contracts[0]
    by_transfer = first["account_method"] == "account_transfer" and all(
        c["allows_account_transfer"] for c in contracts
    )
    periods = [(c.period_start, c.period_end) for c in charges if c.period_start and c.period_end]
    head = {
        "id": invoice_id,
        "issuer_registration_number": issuing.issuer["registration_number"],
        "member_id": first["member_id"],
        "service_id": first["service_id"],
        "service_name": first["service_name"],
        "usage_month": usage.first_day,
        "usage_period_start": min((p[0] for p in periods), default=usage.first_day),
        "usage_period_end": max((p[1] for p in periods), default=usage.last_day),
        "issue_date": issuing.issue_date,
        "due_date": (
            transfer_date(issuing.issue_date, issuing.transfer_day)
            if by_transfer
            else invoice_due_date(issuing.issue_date)
        ),
        "payment_method": "account_transfer" if by_transfer else "invoice",
        "taxable_subtotal": totals.taxable_subtotal,
        "non_taxable_subtotal": totals.non_taxable_subtotal,
        "tax": totals.tax,
        "total": totals.total,
        "issuer": issuing.issuer,
        "recipient": {
            "entity_type": first["entity_type"],
            "organization_name": first["organization_name"],
            "name": first["name"],
            "department": first["department"],
            "postal_code": first["postal_code"],
            "address": first["address"],
        },
        "consolidated_mailing": first["consolidated_mailing"],
        "corrects_invoice_id": None,
        "status": "issued",
        "paid_amount": 0,
        "transfer_failed": False,
        "void_reason": None,
        "version": 1,
        "created_at": issuing.now,
        "updated_at": issuing.now,
    }
    return head, lines


def issued_event(head: dict[str, Any]) -> InvoiceIssued:
    """The `billing.invoice.issued` event of a just-issued invoice row."""
    return InvoiceIssued(
        invoice_id=head["id"],
        aggregate_version=head["version"],
        invoice_number=head["invoice_number"],
        member_id=head["member_id"],
        service_id=head["service_id"],
        service_name=LocalizedText.model_validate(head["service_name"]),
        usage_period_start=head["usage_period_start"],
        usage_period_end=head["usage_period_end"],
        due_date=head["due_date"],
        total=head["total"],
        payment_method=head["payment_method"],
        issue_date=head["issue_date"],
        corrects_invoice_id=head["corrects_invoice_id"],
    )


async def _mark_month_done(uow: UnitOfWork, usage: UsageMonth, issued: int, now: datetime) -> None:
    statement = insert(billing_run_month).values(
        usage_month=usage.first_day, completed_at=now, invoices_issued=issued
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[billing_run_month.c.usage_month],
            set_={
                "completed_at": now,
                "invoices_issued": billing_run_month.c.invoices_issued + issued,
            },
        )
    )


async def months_due(*, uow: UnitOfWork, today: date) -> list[UsageMonth]:
    """Every month whose invoices are due by ``today`` and not all issued yet, oldest
    first — the months a scheduled run must (catch up and) bill."""
    earliest: date | None = await uow.session.scalar(
        sa.select(sa.func.min(subscription.c.start_date))
    )
    if earliest is None:
        return []
    done = set((await uow.session.execute(sa.select(billing_run_month.c.usage_month))).scalars())
    months: list[UsageMonth] = []
    month = UsageMonth.of(earliest)
    while scheduled_issue_date(month) <= today:
        if month.first_day not in done:
            months.append(month)
        month = month.next()
    return months
