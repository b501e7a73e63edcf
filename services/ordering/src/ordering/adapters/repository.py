"""Loading and saving the ordering aggregates and local copies (keyword-only, one session)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bizmall_events import ContractTerms, LocalizedText, ServiceSnapshot
from ordering.adapters.tables import (
    ActivationNoticeIssued,
    CatalogServiceCurrent,
    CatalogServiceVersion,
    ContractRow,
    MemberCopy,
    MemberDocument,
    OrderRequestKey,
    OrderRow,
)
from ordering.domain.contract import Contract
from ordering.domain.order import Order, StatusChange
from servicekit.clock import system_clock

# --- catalog copy -------------------------------------------------------------


async def store_service_version(*, session: AsyncSession, snapshot: ServiceSnapshot) -> bool:
    """Keep ``snapshot`` and make it current unless a newer version is held; True if it is."""
    await session.execute(
        insert(CatalogServiceVersion)
        .values(
            service_id=snapshot.service_id,
            version=snapshot.service_version,
            snapshot=snapshot.model_dump(mode="json"),
            received_at=system_clock(),
        )
        .on_conflict_do_nothing()
    )
    statement = insert(CatalogServiceCurrent).values(
        service_id=snapshot.service_id, version=snapshot.service_version
    )
    # The pointer only moves forward: a late, older event never hides a newer version.
    moved = statement.on_conflict_do_update(
        index_elements=["service_id"],
        set_={"version": statement.excluded.version},
        where=col(CatalogServiceCurrent.version) < statement.excluded.version,
    ).returning(col(CatalogServiceCurrent.version))
    return (await session.execute(moved)).first() is not None


async def current_service(
    *, session: AsyncSession, service_id: uuid.UUID
) -> ServiceSnapshot | None:
    """The current version of a service as ordering knows it, or None."""
    row = await session.scalar(
        select(CatalogServiceVersion.snapshot)
        .join(
            CatalogServiceCurrent,
            sa.and_(
                col(CatalogServiceCurrent.service_id) == col(CatalogServiceVersion.service_id),
                col(CatalogServiceCurrent.version) == col(CatalogServiceVersion.version),
            ),
        )
        .where(col(CatalogServiceCurrent.service_id) == service_id)
    )
    return ServiceSnapshot.model_validate(row) if row is not None else None


# --- member copy ----------------------------------------------------------------


async def store_member(
    *, session: AsyncSession, member_id: uuid.UUID, version: int, entity_type: str, status: str
) -> None:
    """Upsert a member's copy unless a newer version is already held."""
    statement = insert(MemberCopy).values(
        member_id=member_id,
        aggregate_version=version,
        entity_type=entity_type,
        status=status,
        withdrawn=status == "withdrawn",
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id"],
            set_={
                "aggregate_version": statement.excluded.aggregate_version,
                "entity_type": statement.excluded.entity_type,
                "status": statement.excluded.status,
                "withdrawn": sa.or_(col(MemberCopy.withdrawn), statement.excluded.withdrawn),
            },
            where=col(MemberCopy.aggregate_version) < statement.excluded.aggregate_version,
        )
    )


async def mark_withdrawn(*, session: AsyncSession, member_id: uuid.UUID) -> None:
    """Record that the member was withdrawn (R11), whatever else the copy holds."""
    await session.execute(
        sa.update(MemberCopy).where(col(MemberCopy.member_id) == member_id).values(withdrawn=True)
    )


async def member(*, session: AsyncSession, member_id: uuid.UUID) -> MemberCopy | None:
    """The member's copy, or None when identity's events have not arrived yet."""
    return await session.get(MemberCopy, member_id)


async def store_document_review(
    *,
    session: AsyncSession,
    document_id: uuid.UUID,
    member_id: uuid.UUID,
    version: int,
    decision: str,
    reviewed_at: datetime,
) -> bool:
    """Record a document's review unless a newer one is held; True when it was recorded."""
    statement = insert(MemberDocument).values(
        document_id=document_id,
        member_id=member_id,
        aggregate_version=version,
        decision=decision,
        reviewed_at=reviewed_at,
    )
    recorded = statement.on_conflict_do_update(
        index_elements=["document_id"],
        set_={
            "aggregate_version": statement.excluded.aggregate_version,
            "decision": statement.excluded.decision,
            "reviewed_at": statement.excluded.reviewed_at,
        },
        where=col(MemberDocument.aggregate_version) < statement.excluded.aggregate_version,
    ).returning(col(MemberDocument.document_id))
    return (await session.execute(recorded)).first() is not None


async def has_approved_document(*, session: AsyncSession, member_id: uuid.UUID) -> bool:
    """Whether ops approved an identity document of the member (R12)."""
    found = await session.scalar(
        select(sa.literal(True))
        .where(col(MemberDocument.member_id) == member_id, MemberDocument.decision == "approved")
        .limit(1)
    )
    return bool(found)


async def lock_member(*, session: AsyncSession, member_id: uuid.UUID) -> None:
    """Serialise placing a member's order with the review of their documents.

    Without it an approval handled while an order is being placed could miss
    that order, which would then wait for a document already approved.
    """
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"ordering.member.{member_id}"},
    )


# --- orders -------------------------------------------------------------------------


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "member_id": order.member_id,
        "service_id": order.service_id,
        "service_version": order.service_version,
        "service_name": order.service_name.model_dump(),
        "plan_id": order.plan_id,
        "plan_version_id": order.plan_version_id,
        "plan_name": order.plan_name.model_dump(),
        "quantity": order.quantity,
        "options": order.options,
        "desired_start_date": order.desired_start_date,
        "planned_start_date": order.planned_start_date,
        "terms": order.terms.model_dump(mode="json"),
        "notice_business_days_before": order.notice_business_days_before,
        "withdrawal_requires_contracts_ended": order.withdrawal_requires_contracts_ended,
        "inquiry_reference": order.inquiry_reference,
        "status": order.status,
        "version": order.version,
        "reason": order.reason,
        "held_from": order.held_from,
        "status_history": [change.as_dict() for change in order.status_history],
        "created_at": order.created_at,
        "updated_at": system_clock(),
    }


def order_of(row: OrderRow) -> Order:
    """The aggregate held in ``row``."""
    return Order(
        id=row.id,
        member_id=row.member_id,
        service_id=row.service_id,
        service_version=row.service_version,
        service_name=LocalizedText.model_validate(row.service_name),
        plan_id=row.plan_id,
        plan_version_id=row.plan_version_id,
        plan_name=LocalizedText.model_validate(row.plan_name),
        quantity=row.quantity,
        options=row.options,
        desired_start_date=row.desired_start_date,
        planned_start_date=row.planned_start_date,
        terms=ContractTerms.model_validate(row.terms),
        notice_business_days_before=row.notice_business_days_before,
        withdrawal_requires_contracts_ended=row.withdrawal_requires_contracts_ended,
        inquiry_reference=row.inquiry_reference,
        created_at=row.created_at,
        status=row.status,
        version=row.version,
        reason=row.reason,
        held_from=row.held_from,
        status_history=[StatusChange.from_dict(item) for item in row.status_history],
    )


async def add_order(*, session: AsyncSession, order: Order) -> None:
    """Insert a new order."""
    session.add(OrderRow(**_order_values(order)))
    await session.flush()


async def save_order(*, session: AsyncSession, order: Order) -> None:
    """Write an order's changed state back."""
    values = _order_values(order)
    await session.execute(sa.update(OrderRow).where(col(OrderRow.id) == order.id).values(**values))


async def get_order(
    *, session: AsyncSession, order_id: uuid.UUID, for_update: bool = False
) -> Order | None:
    """The order with ``order_id`` (locked for this transaction when ``for_update``)."""
    query = select(OrderRow).where(col(OrderRow.id) == order_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    return order_of(row) if row is not None else None


def _page_after(query: Any, created_at: Any, id_: Any, cursor: str | None) -> Any:
    if cursor:
        at_text, _, id_text = cursor.partition("|")
        after = (datetime.fromisoformat(at_text), uuid.UUID(id_text))
        query = query.where(sa.tuple_(created_at, id_) < sa.tuple_(*after))
    return query.order_by(created_at.desc(), id_.desc())


def _next_cursor(rows: list[Any], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return f"{last.created_at.isoformat()}|{last.id}"


async def list_orders(
    *,
    session: AsyncSession,
    member_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Order], str | None]:
    """A page of orders, newest first, of one member and/or in one state.

    Raises ValueError for a malformed cursor.
    """
    query = select(OrderRow)
    if member_id is not None:
        query = query.where(col(OrderRow.member_id) == member_id)
    if status is not None:
        query = query.where(col(OrderRow.status) == status)
    query = _page_after(query, col(OrderRow.created_at), col(OrderRow.id), cursor)
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    return [order_of(row) for row in rows[:limit]], _next_cursor(rows, limit)


async def orders_awaiting_documents(
    *,
    session: AsyncSession,
    member_id: uuid.UUID | None = None,
    placed_before: datetime | None = None,
) -> list[Order]:
    """Orders waiting for an identity document, locked (of a member, or placed before a time)."""
    query = select(OrderRow).where(col(OrderRow.status) == "awaiting_documents")
    if member_id is not None:
        query = query.where(col(OrderRow.member_id) == member_id)
    if placed_before is not None:
        query = query.where(col(OrderRow.created_at) <= placed_before)
    rows = (await session.execute(query.with_for_update())).scalars()
    return [order_of(row) for row in rows]


async def open_orders_blocking_withdrawal(
    *, session: AsyncSession, member_id: uuid.UUID
) -> list[Order]:
    """Open orders of services whose contracts must end before withdrawal (R11)."""
    query = select(OrderRow).where(
        col(OrderRow.member_id) == member_id,
        col(OrderRow.status).not_in(["active", "rejected"]),
        col(OrderRow.withdrawal_requires_contracts_ended).is_(True),
    )
    return [order_of(row) for row in (await session.execute(query)).scalars()]


# --- idempotency keys ------------------------------------------------------------------


async def claim_request_key(
    *,
    session: AsyncSession,
    member_id: uuid.UUID,
    key: str,
    body_hash: str,
    now: datetime,
    expired_before: datetime,
) -> OrderRequestKey | None:
    """Claim ``key`` for this request: None when claimed, else the live earlier claim.

    The insert waits on the primary key while a concurrent request with the
    same key is in flight, then sees its committed row: so concurrent
    duplicates yield one order. A key older than ``expired_before`` is reused.
    """
    statement = insert(OrderRequestKey).values(
        member_id=member_id, key=key, body_hash=body_hash, order_id=None, created_at=now
    )
    claimed = statement.on_conflict_do_update(
        index_elements=["member_id", "key"],
        set_={"body_hash": body_hash, "order_id": None, "created_at": now},
        where=col(OrderRequestKey.created_at) < expired_before,
    ).returning(col(OrderRequestKey.key))
    if (await session.execute(claimed)).first() is not None:
        return None
    return (
        await session.execute(
            select(OrderRequestKey).where(
                col(OrderRequestKey.member_id) == member_id, col(OrderRequestKey.key) == key
            )
        )
    ).scalar_one()


async def bind_request_key(
    *, session: AsyncSession, member_id: uuid.UUID, key: str, order_id: uuid.UUID
) -> None:
    """Remember which order a claimed key created."""
    await session.execute(
        sa.update(OrderRequestKey)
        .where(col(OrderRequestKey.member_id) == member_id, col(OrderRequestKey.key) == key)
        .values(order_id=order_id)
    )


# --- contracts ---------------------------------------------------------------------------


def contract_of(row: ContractRow) -> Contract:
    """The aggregate held in ``row``."""
    return Contract(
        id=row.id,
        order_id=row.order_id,
        member_id=row.member_id,
        service_id=row.service_id,
        service_name=LocalizedText.model_validate(row.service_name),
        plan_id=row.plan_id,
        plan_name=LocalizedText.model_validate(row.plan_name),
        quantity=row.quantity,
        planned_start_date=row.planned_start_date,
        start_date=row.start_date,
        terms=ContractTerms.model_validate(row.terms),
        withdrawal_requires_contracts_ended=row.withdrawal_requires_contracts_ended,
        created_at=row.created_at,
        version=row.version,
        end_date=row.end_date,
        early_termination_fee=row.early_termination_fee,
        cancelled_at=row.cancelled_at,
    )


def _contract_values(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.id,
        "order_id": contract.order_id,
        "member_id": contract.member_id,
        "service_id": contract.service_id,
        "service_name": contract.service_name.model_dump(),
        "plan_id": contract.plan_id,
        "plan_name": contract.plan_name.model_dump(),
        "quantity": contract.quantity,
        "planned_start_date": contract.planned_start_date,
        "start_date": contract.start_date,
        "terms": contract.terms.model_dump(mode="json"),
        "withdrawal_requires_contracts_ended": contract.withdrawal_requires_contracts_ended,
        "version": contract.version,
        "end_date": contract.end_date,
        "early_termination_fee": contract.early_termination_fee,
        "cancelled_at": contract.cancelled_at,
        "created_at": contract.created_at,
    }


async def add_contract(*, session: AsyncSession, contract: Contract) -> None:
    """Insert a new contract."""
    session.add(ContractRow(**_contract_values(contract)))
    await session.flush()


async def save_contract(*, session: AsyncSession, contract: Contract) -> None:
    """Write a contract's changed state back."""
    await session.execute(
        sa.update(ContractRow)
        .where(col(ContractRow.id) == contract.id)
        .values(**_contract_values(contract))
    )


async def get_contract(
    *, session: AsyncSession, contract_id: uuid.UUID, for_update: bool = False
) -> Contract | None:
    """The contract with ``contract_id``."""
    query = select(ContractRow).where(col(ContractRow.id) == contract_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    return contract_of(row) if row is not None else None


async def contract_of_order(*, session: AsyncSession, order_id: uuid.UUID) -> Contract | None:
    """The contract an order opened, if it is active."""
    row = (
        await session.execute(select(ContractRow).where(col(ContractRow.order_id) == order_id))
    ).scalar_one_or_none()
    return contract_of(row) if row is not None else None


async def list_contracts(
    *, session: AsyncSession, member_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Contract], str | None]:
    """A page of the member's contracts, newest first (ValueError for a bad cursor)."""
    query = select(ContractRow).where(col(ContractRow.member_id) == member_id)
    query = _page_after(query, col(ContractRow.created_at), col(ContractRow.id), cursor)
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    return [contract_of(row) for row in rows[:limit]], _next_cursor(rows, limit)


async def contracts_blocking_withdrawal(
    *, session: AsyncSession, member_id: uuid.UUID, today: date
) -> list[Contract]:
    """Not-yet-ended contracts of services whose contracts must end first (R11)."""
    query = select(ContractRow).where(
        col(ContractRow.member_id) == member_id,
        col(ContractRow.withdrawal_requires_contracts_ended).is_(True),
        sa.or_(col(ContractRow.end_date).is_(None), col(ContractRow.end_date) >= today),
    )
    return [contract_of(row) for row in (await session.execute(query)).scalars()]


# --- activation notices -------------------------------------------------------------------


async def claim_activation_notice(*, session: AsyncSession, order_id: uuid.UUID) -> bool:
    """Record the order's activation notice as issued; False when it already was (R18)."""
    statement = (
        insert(ActivationNoticeIssued)
        .values(order_id=order_id, issued_at=system_clock())
        .on_conflict_do_nothing()
        .returning(col(ActivationNoticeIssued.order_id))
    )
    return (await session.execute(statement)).first() is not None


async def orders_with_notice_candidates(*, session: AsyncSession) -> list[Order]:
    """Accepted-or-later orders of services that send the notice before the start, not yet
    notified; the caller decides which are due by the business calendar."""
    query = select(OrderRow).where(
        col(OrderRow.notice_business_days_before).is_not(None),
        col(OrderRow.status).in_(["accepted", "provisioning", "active"]),
        ~sa.exists().where(col(ActivationNoticeIssued.order_id) == col(OrderRow.id)),
    )
    return [order_of(row) for row in (await session.execute(query)).scalars()]
