"""Debit batches and their debits (R35), the invoices a batch is built from, and the
sealed bank details of their account-transfer applications."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from billing.adapters.invoice_repository import _invoice
from billing.adapters.tables import (
    account_transfer,
    billing_account,
    collection_batch,
    collection_debit,
    invoice,
    plain_uuid,
)
from billing.domain.account_transfer import AccountTransfer
from billing.domain.collection import Debit, DebitBatch, DebitStatus
from billing.domain.invoice import Invoice
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

_BATCH_COLUMNS = tuple(c.name for c in collection_batch.c)
_DEBIT_COLUMNS = tuple(c.name for c in collection_debit.c)
_DEBIT_RESULT = (
    sa.update(collection_debit)
    .where(collection_debit.c.id == sa.bindparam("debit_id"))
    .values(
        result_code=sa.bindparam("debit_result_code"),
        result_at=sa.bindparam("debit_result_at"),
        new_due_date=sa.bindparam("debit_new_due_date"),
    )
)


def _debit(row: Mapping[str, Any]) -> Debit:
    return Debit(**{name: row[name] for name in _DEBIT_COLUMNS})


def _batch(row: Mapping[str, Any], debits: Iterable[Mapping[str, Any]] = ()) -> DebitBatch:
    return DebitBatch(
        **{name: row[name] for name in _BATCH_COLUMNS}, debits=[_debit(d) for d in debits]
    )


def _debit_status(status: DebitStatus) -> sa.ColumnElement[bool]:
    code = collection_debit.c.result_code
    if status == "pending":
        return code.is_(None)
    return code == "0" if status == "collected" else code != "0"


class CollectionRepository(SqlRepository):
    """Debit batches by id or collection date, the candidates of a new batch, the
    failed debits across batches."""

    async def lock_date(self, collection_date: date) -> None:
        """Hold the collection date until the transaction ends: two builds of the same
        date take turns, so the second finds the first's batch."""
        await self.session.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"collection:{collection_date}"))
            )
        )

    async def get(self, batch_id: uuid.UUID, *, for_update: bool = False) -> DebitBatch | None:
        return await self._one(collection_batch.c.id == batch_id, for_update)

    async def by_date(self, collection_date: date) -> DebitBatch | None:
        return await self._one(collection_batch.c.collection_date == collection_date, False)

    async def _one(self, where: sa.ColumnElement[bool], for_update: bool) -> DebitBatch | None:
        query = sa.select(collection_batch).where(where)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        debits = await self.session.execute(
            sa.select(collection_debit)
            .where(collection_debit.c.batch_id == row["id"])
            .order_by(collection_debit.c.position)
        )
        return self.track(_batch(row, debits.mappings()))

    async def page(self, *, limit: int, cursor: str | None) -> Page[DebitBatch]:
        """Batches, the latest collection date first (without their debits)."""
        query = after_cursor(
            sa.select(collection_batch),
            [collection_batch.c.collection_date, collection_batch.c.id],
            cursor,
            descending=True,
        ).limit(limit + 1)
        rows = [_batch(r) for r in (await self.session.execute(query)).mappings()]
        return page_of(rows, limit=limit, key=lambda b: (b.collection_date, plain_uuid(b.id)))

    async def failed_debits(self, *, limit: int, cursor: str | None) -> Page[Debit]:
        """Failed debits of every batch, the latest result first: the invoices that fell
        back to invoice payment (R35)."""
        query = after_cursor(
            sa.select(collection_debit).where(_debit_status("failed")),
            [collection_debit.c.result_at, collection_debit.c.id],
            cursor,
            descending=True,
        ).limit(limit + 1)
        rows = [_debit(r) for r in (await self.session.execute(query)).mappings()]
        return page_of(
            rows,
            limit=limit,
            key=lambda d: (d.result_at or datetime.min, plain_uuid(d.id)),
        )

    async def candidates(self, collection_date: date) -> list[tuple[Invoice, AccountTransfer]]:
        """Issued account-transfer invoices due by ``collection_date`` whose debit was
        never asked for, each with its member's latest completed application (locked)."""
        query = (
            sa.select(invoice)
            .where(
                invoice.c.status == "issued",
                invoice.c.payment_method == "account_transfer",
                invoice.c.transfer_failed.is_(False),
                invoice.c.due_date <= collection_date,
                ~sa.exists().where(collection_debit.c.invoice_id == invoice.c.id),
            )
            .order_by(invoice.c.id)
            .with_for_update()
        )
        invoices = [_invoice(r) for r in (await self.session.execute(query)).mappings()]
        if not invoices:
            return []
        transfers = await self._completed_transfers({i.member_id for i in invoices})
        return [
            (self.track(i), transfers[i.member_id]) for i in invoices if i.member_id in transfers
        ]

    async def _completed_transfers(
        self, member_ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, AccountTransfer]:
        query = (
            sa.select(account_transfer, billing_account.c.member_id)
            .join(billing_account, billing_account.c.id == account_transfer.c.account_id)
            .where(
                billing_account.c.member_id.in_(member_ids),
                account_transfer.c.status == "completed",
            )
            .order_by(billing_account.c.member_id, account_transfer.c.decided_at.desc())
            .ext(distinct_on(billing_account.c.member_id))
        )
        found: dict[uuid.UUID, AccountTransfer] = {}
        for row in (await self.session.execute(query)).mappings():
            found[row["member_id"]] = AccountTransfer(
                **{c.name: row[c.name] for c in account_transfer.c}, member_id=row["member_id"]
            )
        return found

    async def sealed_details(self, transfer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The sealed bank details of these applications (opened only to render a file)."""
        ids = list(set(transfer_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            sa.select(account_transfer.c.id, account_transfer.c.sealed_details).where(
                account_transfer.c.id.in_(ids)
            )
        )
        return {row.id: row.sealed_details for row in rows}

    async def invoices_of(self, batch: DebitBatch) -> dict[uuid.UUID, Invoice]:
        """The batch's invoices, locked for the results to move them."""
        ids = [d.invoice_id for d in batch.debits]
        if not ids:
            return {}
        query = sa.select(invoice).where(invoice.c.id.in_(ids)).order_by(invoice.c.id)
        rows = (await self.session.execute(query.with_for_update())).mappings()
        return {row["id"]: self.track(_invoice(row)) for row in rows}

    async def debit_pending(self, invoice_id: uuid.UUID) -> bool:
        """Whether the invoice's debit was asked of the bank and has no result yet."""
        found = await self.session.scalar(
            sa.select(sa.literal(True)).where(
                collection_debit.c.invoice_id == invoice_id,
                collection_debit.c.result_code.is_(None),
            )
        )
        return bool(found)

    async def add(self, batch: DebitBatch) -> None:
        """Insert the batch and its debits."""
        row = {name: getattr(batch, name) for name in _BATCH_COLUMNS}
        await self.session.execute(sa.insert(collection_batch).values(**row))
        if batch.debits:
            await self.session.execute(
                sa.insert(collection_debit),
                [{name: getattr(d, name) for name in _DEBIT_COLUMNS} for d in batch.debits],
            )
        self.track(batch)

    async def save(self, batch: DebitBatch, *, changed: Iterable[Debit] | None = None) -> None:
        """Write the batch's status and its debits' results."""
        await self.session.execute(
            sa.update(collection_batch)
            .where(collection_batch.c.id == batch.id)
            .values(status=batch.status, version=batch.version, updated_at=batch.updated_at)
        )
        debits = list(batch.debits if changed is None else changed)
        if debits:
            await self.session.execute(
                _DEBIT_RESULT,
                [
                    {
                        "debit_id": d.id,
                        "debit_result_code": d.result_code,
                        "debit_result_at": d.result_at,
                        "debit_new_due_date": d.new_due_date,
                    }
                    for d in debits
                ],
            )
