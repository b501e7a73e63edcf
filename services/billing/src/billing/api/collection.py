"""``/api/v1/ops/billing/account-transfer-debits``: account-transfer collection (R35).

- ``POST`` ``{"collection_date": "YYYY-MM-DD"}`` builds the debit batch of a collection
  date (the 27th, or the next business day): 201 with the new batch, or **200 with
  the batch already built for that date** — building twice gives the same batch and
  the same file.
- ``GET …/{id}/file`` is the Zengin debit request file (種別 91, 120-byte Shift_JIS
  records with CRLF); the download is audited.
- ``POST …/{id}/results`` takes the bank's result file (same layout) as the request
  body: result code 0 records a payment, any other fails the debit. Applying the same
  file again changes nothing. A bad file is 422 ``billing.zengin_file_invalid``
  naming the record (``line``).
- ``GET /api/v1/ops/billing/failed-debits`` lists failed debits across batches.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, field_validator

from billing.api.deps import SettingsDep, UowDep
from billing.domain import zengin
from billing.domain.collection import Debit, DebitBatch, DebitStatus, ResultOutcome
from billing.service_layer import collection
from bizmall_events import LocalizedText
from servicekit.auth import OpsOnly
from servicekit.problems import Problem
from servicekit.uploads import read_body

router = APIRouter(prefix="/api/v1/ops/billing", tags=["ops: billing"])

#: The largest result file taken (a 120-byte record per debit: some 80,000 debits).
MAX_BYTES = 10 * 1024 * 1024


class BuildBody(BaseModel):
    collection_date: date = Field(
        description="The 27th of a month, or the next business day when it is not one "
        "(2000-2099: the years of the business-day calendar).",
        examples=["2026-07-27"],
    )

    @field_validator("collection_date")
    @classmethod
    def _within_the_calendar(cls, value: date) -> date:
        # The holiday calendar covers 1949-2099 only: a date outside it is the client's
        # mistake (422), not a calendar failure (Schemathesis sent 9999-12-27: a 500).
        if not 2000 <= value.year <= 2099:
            raise ValueError("collection_date must fall in 2000-2099")
        return value


class DebitView(BaseModel):
    """One invoice asked of the bank, and the bank's answer. ``status``: ``pending``
    (no result yet), ``collected`` (code 0: paid) or ``failed`` (any other code: the
    invoice is back on invoice payment, due on ``new_due_date``)."""

    id: uuid.UUID
    position: int
    invoice_id: uuid.UUID
    invoice_number: str
    member_id: uuid.UUID
    amount: int
    bank_code: str
    branch_code: str
    account_type: str
    masked_number: str
    customer_number: str
    status: DebitStatus
    result_code: str | None
    result: str | None = Field(description="The code's meaning, e.g. insufficient_funds.")
    reason: LocalizedText | None
    result_at: datetime | None
    new_due_date: date | None

    @classmethod
    def of(cls, debit: Debit) -> Self:
        reason = None
        if debit.result_code is not None:
            _, ja, en = zengin.RESULT_CODES[debit.result_code]
            reason = LocalizedText(ja=ja, en=en)
        return cls.model_validate(
            {
                **vars(debit),
                "status": debit.status,
                "result": debit.result,
                "reason": reason,
            }
        )


class BatchSummary(BaseModel):
    id: uuid.UUID
    collection_date: date
    status: Literal["built", "completed"]
    debit_count: int
    total: int
    built_at: datetime
    built_by: str

    @classmethod
    def of(cls, batch: DebitBatch) -> Self:
        return cls.model_validate(batch, from_attributes=True)


class BatchView(BatchSummary):
    """A batch with its debits (narrowed to one status when asked) and their counts."""

    pending_count: int
    collected_count: int
    collected_amount: int
    failed_count: int
    failed_amount: int
    debits: list[DebitView]

    @classmethod
    def of(cls, batch: DebitBatch, status: DebitStatus | None = None) -> Self:
        by = {
            s: [d for d in batch.debits if d.status == s]
            for s in ("pending", "collected", "failed")
        }
        return cls.model_validate(
            {
                **BatchSummary.of(batch).model_dump(),
                "pending_count": len(by["pending"]),
                "collected_count": len(by["collected"]),
                "collected_amount": sum(d.amount for d in by["collected"]),
                "failed_count": len(by["failed"]),
                "failed_amount": sum(d.amount for d in by["failed"]),
                "debits": [
                    DebitView.of(d) for d in batch.debits if status is None or d.status == status
                ],
            }
        )


class BatchPage(BaseModel):
    items: list[BatchSummary]
    next_cursor: str | None


class DebitPage(BaseModel):
    items: list[DebitView]
    next_cursor: str | None


class ResultsView(BaseModel):
    """What a result file did: debits newly collected, newly failed, and already
    answered (a second upload of the same file: all ``unchanged``)."""

    collected: int
    failed: int
    unchanged: int
    batch: BatchView

    @classmethod
    def of(cls, batch: DebitBatch, outcome: ResultOutcome) -> Self:
        return cls(
            collected=outcome.collected,
            failed=outcome.failed,
            unchanged=outcome.unchanged,
            batch=BatchView.of(batch),
        )


@router.post(
    "/account-transfer-debits",
    response_model=BatchView,
    status_code=201,
    responses={200: {"model": BatchView, "description": "The batch of that date, built before."}},
)
async def build(
    body: BuildBody, response: Response, ops: OpsOnly, uow: UowDep, settings: SettingsDep
) -> BatchView:
    """Build the debit batch of a collection date: every issued, unpaid account-transfer
    invoice due by then whose debit was never asked for (R35). Idempotent."""
    async with uow:
        built = await collection.build_debit_batch(
            uow=uow,
            collection_date=body.collection_date,
            actor=ops.subject,
            transfer_day=settings.transfer_day,
        )
    if not built.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/ops/billing/account-transfer-debits/{built.batch.id}"
    return BatchView.of(built.batch)


@router.get("/account-transfer-debits", response_model=BatchPage)
async def batches(
    ops: OpsOnly,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> BatchPage:
    """Debit batches, the latest collection date first."""
    async with uow:
        page = await collection.list_batches(uow=uow, limit=limit, cursor=cursor)
    return BatchPage(items=[BatchSummary.of(b) for b in page.items], next_cursor=page.next_cursor)


@router.get("/failed-debits", response_model=DebitPage)
async def failed_debits(
    ops: OpsOnly,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DebitPage:
    """Failed debits of every batch, the latest result first: invoices back on invoice
    payment with their new due date and the bank's reason (R35)."""
    async with uow:
        page = await collection.failed_debits(uow=uow, limit=limit, cursor=cursor)
    return DebitPage(items=[DebitView.of(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/account-transfer-debits/{batch_id}", response_model=BatchView)
async def batch(
    batch_id: uuid.UUID, ops: OpsOnly, uow: UowDep, status: DebitStatus | None = None
) -> BatchView:
    """A batch with its debits; ``status=failed`` lists only the failed ones."""
    async with uow:
        found = await collection.get_batch(uow=uow, batch_id=batch_id)
    return BatchView.of(found, status)


@router.get(
    "/account-transfer-debits/{batch_id}/file",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "The Zengin request file."}},
)
async def request_file(
    batch_id: uuid.UUID, ops: OpsOnly, uow: UowDep, settings: SettingsDep
) -> Response:
    """The Zengin account-transfer request file (種別コード 91): header, one data record
    per debit, trailer with count and total, end record; 120-byte Shift_JIS records
    with CRLF. Audited (R35)."""
    async with uow:
        found, content = await collection.request_file(
            uow=uow, batch_id=batch_id, settings=settings, actor=ops.subject
        )
    name = f"zengin-91-{found.collection_date:%Y%m%d}.txt"
    return Response(
        content,
        media_type="text/plain; charset=Shift_JIS",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/account-transfer-debits/{batch_id}/results",
    response_model=ResultsView,
    responses={
        409: {"description": "A record contradicts a result applied before."},
        413: {"description": "Over 10 MB (`billing.result_file_too_large`)."},
        422: {"description": "Not a valid result file (`billing.zengin_file_invalid`, `line`)."},
    },
)
async def apply_results(
    batch_id: uuid.UUID, request: Request, ops: OpsOnly, uow: UowDep, settings: SettingsDep
) -> ResultsView:
    """Upload the bank's result file (the file itself as the body): code 0 → paid, any
    other code → failed debit, the invoice back on invoice payment with a new due date
    and the member emailed (R35). The same file twice changes nothing."""
    content = await read_body(request, max_bytes=MAX_BYTES, too_large=_too_large)
    async with uow:
        found, outcome = await collection.apply_result_file(
            uow=uow, batch_id=batch_id, content=content, settings=settings, actor=ops.subject
        )
    return ResultsView.of(found, outcome)


def _too_large() -> Problem:
    return Problem(
        413,
        "billing.result_file_too_large",
        ja="振替結果ファイルが大きすぎます（10MB まで）。",
        en="The result file is too large (10 MB at most).",
    )
