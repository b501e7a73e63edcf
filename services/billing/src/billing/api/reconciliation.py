"""``/api/v1/ops/billing/bank-statements``: deposit reconciliation (入金消込, R36) — upload
a bank statement, see each line's outcome, match the waiting lines by hand. Every
action is audited (R29)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from billing.api.deps import UowDep
from billing.api.statement_schemas import (
    MatchBody,
    StatementPage,
    StatementSummaryView,
    StatementView,
)
from billing.service_layer import reconciliation
from servicekit.auth import OpsOnly
from servicekit.problems import Problem
from servicekit.uploads import read_body

router = APIRouter(prefix="/api/v1/ops/billing/bank-statements", tags=["ops: billing"])

#: The largest statement file accepted.
MAX_BYTES = 5 * 1024 * 1024
_TYPES = ("text/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel")

_FORMAT = """
**The file** (the request body itself, not a form): a CSV with a header row, then
one credit per row. UTF-8 (with or without BOM) or Shift_JIS, told apart by whether
the bytes are valid UTF-8. At most 5 MB and 20,000 lines.

| column | also accepted | value |
|---|---|---|
| `value_date` | 入金日, 取引日, 勘定日 | `YYYY-MM-DD` (`YYYY/MM/DD`, `YYYYMMDD` are read) |
| `amount` | 金額, 入金額 | the credit in whole yen, > 0 (`12,100`, `¥` are read) |
| `payer_kana` | 振込依頼人名, 依頼人名 | the payer's name in kana as the bank prints it |
| `reference` | 摘要, 備考 | free text, e.g. the invoice number `2026-000123`; may be empty |

Columns are found by header name in any order; other columns are ignored. A bad
cell refuses the whole file (422 `billing.statement_invalid` with `line` — the
header is line 1 — and `column`); nothing is written.

**Matching**, line by line in file order: an invoice number in `reference` naming
a known invoice that is not void (the amount may differ: `partial` leaves the
balance open, more is recorded and flagged `overpaid`); else exactly one open
invoice whose amount still due equals the credit and whose member's billing name
kana equals `payer_kana` (compared ignoring width, small kana, spaces, dashes and
legal-form marks such as `ｶ)`). A match records a payment dated `value_date`;
several candidates leave the line `ambiguous`, none `unmatched`, both waiting for
`POST .../lines/{line_id}/match`.

**Twice**: the same file again answers 200 with its first import
(`already_imported: true`) and records nothing. A line already imported by another
file (same value date, amount, payer, reference and occurrence among identical
lines of its file) is kept as `duplicate` and records nothing; identical lines
within one file are distinct credits.
"""


def _too_large() -> Problem:
    return Problem(
        413,
        "billing.statement_too_large",
        ja="入金明細ファイルは5MBまでです。",
        en="A bank statement file may be at most 5 MB.",
    )


def _upload_body() -> dict[str, Any]:
    schema = {"type": "string", "format": "binary", "description": "The CSV file (see above)."}
    return {
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": schema} for media in ("text/csv", "application/octet-stream")
            },
        }
    }


@router.post(
    "",
    status_code=201,
    response_model=StatementView,
    description=_FORMAT,
    openapi_extra=_upload_body(),
    responses={
        200: {"model": StatementView, "description": "The file was imported before."},
        413: {"description": "Over 5 MB (`billing.statement_too_large`)."},
        415: {"description": "Not a CSV body (`billing.statement_not_csv`)."},
        422: {"description": "A bad line or column (`billing.statement_invalid`)."},
    },
)
async def import_statement(
    request: Request,
    response: Response,
    ops: OpsOnly,
    uow: UowDep,
    file_name: Annotated[str | None, Query(max_length=255)] = None,
) -> StatementView:
    """Upload a bank statement (CSV) and match its credit lines to open invoices (R36)."""
    media = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    if media not in _TYPES:
        raise Problem(
            415,
            "billing.statement_not_csv",
            ja="入金明細は CSV ファイルそのものを本文として送ってください"
            "（Content-Type: text/csv）。",
            en="Send the statement CSV itself as the body (Content-Type: text/csv).",
        )
    content = await read_body(request, max_bytes=MAX_BYTES, too_large=_too_large)
    async with uow:
        imported = await reconciliation.import_statement(
            uow=uow, content=content, file_name=file_name, actor=ops.subject
        )
    if not imported.created:
        response.status_code = 200
    return StatementView.of(imported.statement, already_imported=not imported.created)


@router.get("", response_model=StatementPage)
async def list_statements(
    ops: OpsOnly,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> StatementPage:
    """Statement imports newest first, with their lines counted by outcome."""
    async with uow:
        page = await reconciliation.list_statements(uow=uow, limit=limit, cursor=cursor)
    return StatementPage(
        items=[StatementSummaryView.of(s) for s in page.items], next_cursor=page.next_cursor
    )


@router.get("/{statement_id}", response_model=StatementView)
async def statement(statement_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> StatementView:
    """One import with every line and its outcome."""
    async with uow:
        found = await reconciliation.get_statement(uow=uow, statement_id=statement_id)
    return StatementView.of(found)


@router.post(
    "/{statement_id}/lines/{line_id}/match",
    response_model=StatementView,
    responses={
        404: {"description": "No such import, line or invoice."},
        409: {
            "description": "The line is already matched (`billing.statement_line_matched`), "
            "a duplicate (`billing.statement_line_duplicate`), or the invoice is void."
        },
    },
)
async def match_line(
    statement_id: uuid.UUID, line_id: uuid.UUID, body: MatchBody, ops: OpsOnly, uow: UowDep
) -> StatementView:
    """Match an unmatched or ambiguous line to an invoice by hand: records its payment
    (partial and overpaid as on import). Answers the import."""
    async with uow:
        found = await reconciliation.match_line(
            uow=uow,
            statement_id=statement_id,
            line_id=line_id,
            invoice_id=body.invoice_id,
            actor=ops.subject,
        )
    return StatementView.of(found)
