"""Account-transfer collection (R35): building the debit batch of a collection date,
rendering its Zengin request file (the only place sealed bank details are opened),
and applying the bank's result file. Every ops action is audited (R29).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

from billing.config import Settings
from billing.domain import zengin
from billing.domain.collection import (
    Consignor,
    Debit,
    DebitBatch,
    PayerAccount,
    ResultOutcome,
    fallback_due_date,
)
from billing.domain.errors import DebitBatchNotFound, ZenginFileInvalid
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.clock import japan_today
from servicekit.crypto import SecretBox
from servicekit.pagination import Page


def consignor_of(settings: Settings) -> Consignor:
    """The mall as its bank knows it (``BILLING_COLLECTION_*``)."""
    return Consignor(
        code=settings.collection_consignor_code,
        name_kana=settings.collection_consignor_name,
        bank_code=settings.collection_bank_code,
        bank_name_kana=settings.collection_bank_name,
        branch_code=settings.collection_branch_code,
        branch_name_kana=settings.collection_branch_name,
        account_type=settings.collection_account_type,
        account_number=settings.collection_account_number,
    )


@dataclass(frozen=True)
class Built:
    """A batch and whether this call built it (``False``: it existed already)."""

    batch: DebitBatch
    created: bool


async def build_debit_batch(
    *, uow: BillingUnitOfWork, collection_date: date, actor: str, transfer_day: int
) -> Built:
    """The debit batch of ``collection_date``: every issued, unpaid account-transfer
    invoice due by then and not asked of the bank yet. Idempotent: the batch already
    built for the date is answered as it is. Audited."""
    await uow.collections.lock_date(collection_date)
    existing = await uow.collections.by_date(collection_date)
    if existing is not None:
        return Built(existing, created=False)
    batch = DebitBatch.build(
        collection_date=collection_date,
        candidates=await uow.collections.candidates(collection_date),
        transfer_day=transfer_day,
        actor=actor,
        now=uow.now(),
    )
    await uow.collections.add(batch)
    uow.audit(
        actor=actor,
        action="billing.debit_batch.built",
        target=str(batch.id),
        collection_date=collection_date.isoformat(),
        debit_count=batch.debit_count,
        total=batch.total,
    )
    await uow.commit()
    return Built(batch, created=True)


async def list_batches(
    *, uow: BillingUnitOfWork, limit: int, cursor: str | None
) -> Page[DebitBatch]:
    return await uow.collections.page(limit=limit, cursor=cursor)


async def get_batch(*, uow: BillingUnitOfWork, batch_id: uuid.UUID) -> DebitBatch:
    found = await uow.collections.get(batch_id)
    if found is None:
        raise DebitBatchNotFound()
    return found


async def failed_debits(*, uow: BillingUnitOfWork, limit: int, cursor: str | None) -> Page[Debit]:
    """Failed debits across batches, the latest first (R35)."""
    return await uow.collections.failed_debits(limit=limit, cursor=cursor)


async def request_file(
    *, uow: BillingUnitOfWork, batch_id: uuid.UUID, settings: Settings, actor: str
) -> tuple[DebitBatch, bytes]:
    """The batch's Zengin debit request file. The members' sealed bank details are
    opened here only, and the download is audited (never the details themselves)."""
    batch = await get_batch(uow=uow, batch_id=batch_id)
    box = SecretBox(settings.bank_details_key)
    sealed = await uow.collections.sealed_details(d.transfer_id for d in batch.debits)
    accounts = {}
    for transfer_id, text in sealed.items():
        details = json.loads(box.open(text))
        accounts[transfer_id] = PayerAccount(
            account_number=details["account_number"],
            holder_name_kana=details["holder_name_kana"],
        )
    content = zengin.encode(batch.request_file(consignor_of(settings), accounts))
    uow.audit(
        actor=actor,
        action="billing.debit_batch.file_downloaded",
        target=str(batch.id),
        collection_date=batch.collection_date.isoformat(),
        debit_count=batch.debit_count,
        total=batch.total,
    )
    await uow.commit()
    return batch, content


async def apply_result_file(
    *,
    uow: BillingUnitOfWork,
    batch_id: uuid.UUID,
    content: bytes,
    settings: Settings,
    actor: str,
) -> tuple[DebitBatch, ResultOutcome]:
    """Apply the bank's result file: code 0 records a payment, any other code fails the
    debit and puts the invoice back on invoice payment with a new due date (the member
    is emailed). A debit that has its result keeps it, so the same file twice changes
    nothing. A bad file is refused whole, naming the record."""
    batch = await uow.collections.get(batch_id, for_update=True)
    if batch is None:
        raise DebitBatchNotFound()
    try:
        result = zengin.decode(content, year=batch.collection_date.year, result=True)
    except zengin.ZenginFormatError as error:
        raise ZenginFileInvalid(error.line, error.message) from error
    now = uow.now()
    invoices = await uow.collections.invoices_of(batch)
    before = {d.id: d.result_code for d in batch.debits}
    outcome = batch.apply_results(
        result,
        consignor=consignor_of(settings),
        invoices=invoices,
        # Counted from the result, never before the debit date the member expected.
        new_due_date=fallback_due_date(
            max(japan_today(now), batch.collection_date),
            settings.collection_fallback_business_days,
        ),
        actor=actor,
        now=now,
    )
    changed = [d for d in batch.debits if d.result_code != before[d.id]]
    if changed:
        await uow.invoices.save_all([invoices[d.invoice_id] for d in changed])
        await uow.collections.save(batch, changed=changed)
    uow.audit(
        actor=actor,
        action="billing.debit_batch.results_applied",
        target=str(batch.id),
        collection_date=batch.collection_date.isoformat(),
        collected=outcome.collected,
        failed=outcome.failed,
        unchanged=outcome.unchanged,
    )
    await uow.commit()
    return batch, outcome
