"""Loading and saving the ordering aggregates and local copies, one repository per group.

Every repository works in its unit of work's transaction
(:class:`ordering.service_layer.unit_of_work.OrderingUnitOfWork` binds them) and
tracks the aggregates it loads or adds, so the events they record reach the
outbox at commit. The shape of an order and of a contract is spelled for
storage once each, by :class:`_RowMapping` (the aggregate's fields are the
table's columns; JSON columns say how they read back).
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from bizmall_events import ContractTerms, LocalizedText, ServiceSnapshot
from ordering.adapters.held_copies import HeldCopies, HeldMember
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
from ordering.domain.contract import Contract, ContractStatus
from ordering.domain.member import Member
from ordering.domain.order import Order, StatusChange
from servicekit.aggregate import Aggregate
from servicekit.outbox import OUTBOX_CHANNEL, OutboxRecord
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository
from servicekit.uow import UnitOfWork

A = TypeVar("A", bound=Aggregate)


def _to_json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return [item.as_dict() for item in value]


class _RowMapping(Generic[A]):
    """An aggregate dataclass ↔ its table's columns of the same names, both ways."""

    def __init__(
        self, aggregate: type[A], row: type[Any], *, json: dict[str, Callable[[Any], Any]]
    ) -> None:
        self.row = row
        self._aggregate = aggregate
        self._names = tuple(field.name for field in dataclasses.fields(aggregate))
        #: Columns held as JSON, and how each reads back into the aggregate's value.
        self._json = json

    def values(self, item: A) -> dict[str, Any]:
        """The column values of ``item``."""
        values = {name: getattr(item, name) for name in self._names}
        for name in self._json:
            values[name] = _to_json(values[name])
        return values

    def aggregate(self, row: Any) -> A:
        """The aggregate held in ``row``."""
        values = {name: getattr(row, name) for name in self._names}
        for name, read in self._json.items():
            values[name] = read(values[name])
        return self._aggregate(**values)


_NAMES = {"service_name": LocalizedText.model_validate, "plan_name": LocalizedText.model_validate}
_ORDERS = _RowMapping(
    Order,
    OrderRow,
    json={
        **_NAMES,
        "terms": ContractTerms.model_validate,
        "status_history": lambda items: [StatusChange.from_dict(item) for item in items],
    },
)
_CONTRACTS = _RowMapping(
    Contract, ContractRow, json={**_NAMES, "terms": ContractTerms.model_validate}
)


def _newest_first_key(row: Any) -> tuple[datetime, uuid.UUID]:
    # asyncpg hands out its own UUID subclass, which encode_cursor does not know.
    return row.created_at, uuid.UUID(int=row.id.int)


class _AggregateRepository(SqlRepository, Generic[A]):
    """Adding, saving and loading one aggregate kept in one row; what it loads is tracked."""

    _mapping: _RowMapping[A]

    def _changed(self) -> dict[str, Any]:
        # Columns the aggregate does not hold, written with every insert and update.
        return {}

    async def add(self, item: A) -> None:
        """Insert a new aggregate."""
        values = {**self._mapping.values(item), **self._changed()}
        await self.session.execute(sa.insert(self._mapping.row).values(**values))
        self.track(item)

    async def save(self, item: A) -> None:
        """Write an aggregate's changed state back."""
        row = self._mapping.row
        await self.session.execute(
            sa.update(row)
            .where(row.id == item.id)
            .values(**self._mapping.values(item), **self._changed())
        )

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> A | None:
        """The aggregate with ``item_id`` (locked for this transaction when ``for_update``)."""
        query = select(self._mapping.row).where(self._mapping.row.id == item_id)
        return await self._one(query.with_for_update() if for_update else query)

    async def _one(self, query: Any) -> A | None:
        row = (await self.session.execute(query)).scalar_one_or_none()
        return self.track(self._mapping.aggregate(row)) if row is not None else None

    async def _all(self, query: Any) -> list[A]:
        rows = (await self.session.execute(query)).scalars()
        return [self.track(self._mapping.aggregate(row)) for row in rows]

    async def _page(self, query: Any, *, limit: int, cursor: str | None) -> Page[A]:
        """A page of ``query``'s aggregates, newest first (by creation, then id)."""
        row = self._mapping.row
        query = after_cursor(query, (col(row.created_at), col(row.id)), cursor, descending=True)
        rows = (await self.session.execute(query.limit(limit + 1))).scalars().all()
        page = page_of(rows, limit=limit, key=_newest_first_key)
        return Page(
            items=[self._mapping.aggregate(row) for row in page.items],
            next_cursor=page.next_cursor,
        )


#: The current version of a service and its snapshot as JSON text (parsed once, by pydantic).
_CURRENT_SNAPSHOT = (
    sa.select(
        col(CatalogServiceCurrent.version), sa.cast(col(CatalogServiceVersion.snapshot), sa.Text)
    )
    .join_from(
        CatalogServiceCurrent,
        CatalogServiceVersion,
        sa.and_(
            col(CatalogServiceCurrent.service_id) == col(CatalogServiceVersion.service_id),
            col(CatalogServiceCurrent.version) == col(CatalogServiceVersion.version),
        ),
    )
    .where(col(CatalogServiceCurrent.service_id) == sa.bindparam("service_id"))
)


class CatalogCopy(SqlRepository):
    """Every version of every service as catalog published it, and which one is current.

    What :meth:`current` reads is also held in this process (``held``): see
    :mod:`ordering.adapters.held_copies`.
    """

    def __init__(self, uow: UnitOfWork, *, held: HeldCopies) -> None:
        super().__init__(uow)
        self._held = held

    async def store(self, snapshot: ServiceSnapshot) -> bool:
        """Keep ``snapshot`` and make it current unless a newer version is held; True if it is."""
        self._held.current.forget(snapshot.service_id)
        await self.session.execute(
            insert(CatalogServiceVersion)
            .values(
                service_id=snapshot.service_id,
                version=snapshot.service_version,
                snapshot=snapshot.model_dump(mode="json"),
                received_at=self.clock(),
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
        return (await self.session.execute(moved)).first() is not None

    async def current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        """The current version of a service as ordering knows it, or None (read, then held)."""
        row = (await self.session.execute(_CURRENT_SNAPSHOT, {"service_id": service_id})).first()
        if row is None:
            self._held.current.forget(service_id)
            return None
        version, document = row
        snapshot = self._held.versions.get((service_id, version))
        if snapshot is None:
            snapshot = ServiceSnapshot.model_validate_json(document)
        self._held.hold_current(snapshot)
        return snapshot

    def held_current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        """The version last read as current, without a round trip; None when none is held.

        Only a guess: an order placed on it is stored by
        :meth:`OrderRepository.place_if_held`, which checks it is still current.
        """
        return self._held.current_snapshot(service_id)

    async def version(self, service_id: uuid.UUID, version: int) -> ServiceSnapshot | None:
        """One version of a service as catalog published it (an order's, R28), or None."""
        row = await self.session.scalar(
            select(CatalogServiceVersion.snapshot).where(
                col(CatalogServiceVersion.service_id) == service_id,
                col(CatalogServiceVersion.version) == version,
            )
        )
        return ServiceSnapshot.model_validate(row) if row is not None else None


def _member(row: MemberCopy) -> Member:
    return Member(
        member_id=row.member_id,
        entity_type=row.entity_type,
        withdrawn=row.withdrawn,
        name=row.name,
        organization_name=row.organization_name,
    )


class MemberCopies(SqlRepository):
    """Members as identity last described them, and their reviewed identity documents.

    What :meth:`get` reads is also held in this process, with its version (``held``).
    """

    def __init__(self, uow: UnitOfWork, *, held: HeldCopies) -> None:
        super().__init__(uow)
        self._held = held

    async def store(
        self,
        *,
        member_id: uuid.UUID,
        version: int,
        entity_type: str,
        status: str,
        name: str | None = None,
        organization_name: str | None = None,
    ) -> None:
        """Upsert a member's copy unless a newer version is already held."""
        self._held.members.forget(member_id)
        statement = insert(MemberCopy).values(
            member_id=member_id,
            aggregate_version=version,
            entity_type=entity_type,
            status=status,
            withdrawn=status == "withdrawn",
            name=name,
            organization_name=organization_name,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["member_id"],
                set_={
                    "aggregate_version": statement.excluded.aggregate_version,
                    "entity_type": statement.excluded.entity_type,
                    "status": statement.excluded.status,
                    "name": statement.excluded.name,
                    "organization_name": statement.excluded.organization_name,
                    "withdrawn": sa.or_(col(MemberCopy.withdrawn), statement.excluded.withdrawn),
                },
                where=col(MemberCopy.aggregate_version) < statement.excluded.aggregate_version,
            )
        )

    async def mark_withdrawn(self, member_id: uuid.UUID) -> None:
        """Record that the member was withdrawn (R11), whatever else the copy holds."""
        self._held.members.forget(member_id)
        await self.session.execute(
            sa.update(MemberCopy)
            .where(col(MemberCopy.member_id) == member_id)
            .values(withdrawn=True)
        )

    async def get(self, member_id: uuid.UUID) -> Member | None:
        """The member's copy, or None when identity's events have not arrived yet (held)."""
        row = (
            await self.session.execute(
                select(MemberCopy).where(col(MemberCopy.member_id) == member_id)
            )
        ).scalar_one_or_none()
        held = HeldMember(
            member=_member(row) if row is not None else None,
            version=row.aggregate_version if row is not None else None,
        )
        self._held.members.put(member_id, held)
        return held.member

    def held(self, member_id: uuid.UUID) -> HeldMember | None:
        """The copy last read for the member, without a round trip; None when none is held.

        Only a guess, checked by :meth:`OrderRepository.place_if_held` like the catalog's.
        """
        return self._held.members.get(member_id)

    async def many(self, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Member]:
        """The copies of ``member_ids`` that exist, by member id (one query for a page)."""
        wanted = set(member_ids)
        if not wanted:
            return {}
        rows = (
            await self.session.execute(
                select(MemberCopy).where(col(MemberCopy.member_id).in_(wanted))
            )
        ).scalars()
        return {row.member_id: _member(row) for row in rows}

    async def store_document_review(
        self,
        *,
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
        return (await self.session.execute(recorded)).first() is not None

    async def has_approved_document(self, member_id: uuid.UUID) -> bool:
        """Whether ops approved an identity document of the member (R12)."""
        found = await self.session.scalar(
            select(sa.literal(True))
            .where(
                col(MemberDocument.member_id) == member_id, MemberDocument.decision == "approved"
            )
            .limit(1)
        )
        return bool(found)

    async def lock(self, member_id: uuid.UUID) -> None:
        """Serialise placing a member's order with the review of their documents.

        Without it an approval handled while an order is being placed could miss
        that order, which would then wait for a document already approved.
        """
        await self.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"ordering.member.{member_id}"},
        )


@dataclasses.dataclass(frozen=True)
class KeyClaim:
    """An ``Idempotency-Key`` to claim with an order: free, or last claimed before
    ``expired_before`` (then reused)."""

    key: str
    body_hash: str
    at: datetime
    expired_before: datetime


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _bound_row(table: sa.Table, prefix: str) -> list[sa.BindParameter[Any]]:
    # One parameter per column, typed by it: asyncpg prepares the statement once.
    return [sa.bindparam(f"{prefix}{column.name}", type_=column.type) for column in table.columns]


@functools.cache
def _placing_statement(*, with_key: bool, events: int) -> sa.Select[Any]:
    """One statement storing an order, its ``events`` outbox rows and its key (``with_key``).

    Everything is written only if the service version the order was checked
    against is still current, the member's copy is still at ``member_version``
    (NULL: no copy; a withdrawn copy never matches) and the key was free or
    expired; otherwise nothing is. A key claimed by a request still in flight
    makes the claim wait for it, as ``RequestKeys.claim`` does. It answers how
    many orders and events it stored, and wakes the outbox relay (delivered
    when the statement's transaction commits).
    """
    orders, outbox = _table(OrderRow), _table(OutboxRecord)
    current, members = _table(CatalogServiceCurrent), _table(MemberCopy)
    still_current = sa.exists().where(
        current.c.service_id == sa.bindparam("o_service_id"),
        current.c.version == sa.bindparam("o_service_version"),
    )
    member_version = (
        sa.select(sa.case((members.c.withdrawn, -1), else_=members.c.aggregate_version))
        .where(members.c.member_id == sa.bindparam("o_member_id"))
        .scalar_subquery()
    )
    conditions = [
        still_current,
        member_version.is_not_distinct_from(sa.bindparam("member_version", type_=sa.Integer)),
    ]
    if with_key:
        keys = _table(OrderRequestKey)
        # Claimed only when the copies hold: the statement writes all or nothing.
        claim = insert(keys).from_select(
            ["member_id", "key", "body_hash", "order_id", "created_at"],
            sa.select(
                sa.bindparam("o_member_id", type_=keys.c.member_id.type),
                sa.bindparam("k_key", type_=keys.c.key.type),
                sa.bindparam("k_body_hash", type_=keys.c.body_hash.type),
                sa.bindparam("o_id", type_=keys.c.order_id.type),
                sa.bindparam("k_at", type_=keys.c.created_at.type),
            ).where(*conditions),
        )
        claimed = (
            claim.on_conflict_do_update(
                index_elements=[keys.c.member_id, keys.c.key],
                set_={
                    "body_hash": claim.excluded.body_hash,
                    "order_id": claim.excluded.order_id,
                    "created_at": claim.excluded.created_at,
                },
                where=keys.c.created_at < sa.bindparam("k_expired_before"),
            )
            .returning(keys.c.key)
            .cte("claimed")
        )
        conditions = [sa.exists(sa.select(claimed.c.key))]
    placed = (
        sa.insert(orders)
        .from_select(list(orders.c.keys()), sa.select(*_bound_row(orders, "o_")).where(*conditions))
        .returning(orders.c.id)
        .cte("placed")
    )
    rows = [
        sa.select(*_bound_row(outbox, f"e{number}_")).where(sa.exists(sa.select(placed.c.id)))
        for number in range(events)
    ]
    stored = (
        sa.insert(outbox)
        .from_select(list(outbox.c.keys()), rows[0] if events == 1 else sa.union_all(*rows))
        .returning(outbox.c.id)
        .cte("stored")
    )
    woken = sa.select(sa.func.pg_notify(OUTBOX_CHANNEL, "")).select_from(placed).cte("woken")
    return sa.select(
        sa.select(sa.func.count()).select_from(placed).scalar_subquery().label("orders"),
        sa.select(sa.func.count()).select_from(stored).scalar_subquery().label("events"),
        sa.select(sa.func.count()).select_from(woken).scalar_subquery().label("woken"),
    )


class OrderRepository(_AggregateRepository[Order]):
    """Orders (:class:`Order`), with the plan, price and terms recorded at ordering (R28)."""

    _mapping = _ORDERS

    def _changed(self) -> dict[str, Any]:
        return {"updated_at": self.clock()}

    async def place_if_held(
        self, order: Order, *, member_version: int | None, key: KeyClaim | None
    ) -> bool:
        """Store a new order, its events and its key in one statement, if still valid.

        The order was checked against copies held in memory
        (:meth:`CatalogCopy.held_current`, :meth:`MemberCopies.held`): it is
        stored only if its ``service_version`` is still current and the member's
        copy still at ``member_version`` (None: none), and, with ``key``, only if
        the key is free or expired. False when nothing was stored: a copy moved
        on or the key is taken; the caller rolls back (which also hands back the
        connection) and places the order step by step. The order's events are
        written by the statement, not by the unit of work's commit.

        As the unit of work's first statement it runs as a transaction of its
        own (autocommit): the order, its event and its key are still committed
        together or not at all, since one statement is atomic.
        """
        records = self._uow.take_outbox_records(order)
        if not records:
            raise ValueError("a new order records the event of its placing")
        values: dict[str, Any] = {"member_version": member_version}
        for name, value in {**self._mapping.values(order), **self._changed()}.items():
            values[f"o_{name}"] = value
        for number, record in enumerate(records):
            for name, value in record.model_dump().items():
                values[f"e{number}_{name}"] = value
        if key is not None:
            values.update(
                k_key=key.key,
                k_body_hash=key.body_hash,
                k_at=key.at,
                k_expired_before=key.expired_before,
            )
        statement = _placing_statement(with_key=key is not None, events=len(records))
        if not self.session.in_transaction():
            # The statement writes all or nothing, so it may be its own transaction:
            # no BEGIN and no COMMIT, two round trips fewer.
            await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        stored = (await self.session.execute(statement, values)).one()
        return bool(stored.orders)

    async def page(
        self,
        *,
        member_id: uuid.UUID | None = None,
        service_id: uuid.UUID | None = None,
        status: str | None = None,
        placed_since: datetime | None = None,
        placed_before: datetime | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Order]:
        """A page of orders, newest first: of one member, of one service, in one state,
        placed in ``[placed_since, placed_before)`` — every filter given applies."""
        query = select(OrderRow)
        if member_id is not None:
            query = query.where(col(OrderRow.member_id) == member_id)
        if service_id is not None:
            query = query.where(col(OrderRow.service_id) == service_id)
        if status is not None:
            query = query.where(col(OrderRow.status) == status)
        if placed_since is not None:
            query = query.where(col(OrderRow.created_at) >= placed_since)
        if placed_before is not None:
            query = query.where(col(OrderRow.created_at) < placed_before)
        return await self._page(query, limit=limit, cursor=cursor)

    async def awaiting_documents(
        self, *, member_id: uuid.UUID | None = None, placed_before: datetime | None = None
    ) -> list[Order]:
        """Orders waiting for an identity document, locked (of a member, or placed before)."""
        query = select(OrderRow).where(col(OrderRow.status) == "awaiting_documents")
        if member_id is not None:
            query = query.where(col(OrderRow.member_id) == member_id)
        if placed_before is not None:
            query = query.where(col(OrderRow.created_at) <= placed_before)
        return await self._all(query.with_for_update())

    async def blocking_withdrawal(self, member_id: uuid.UUID) -> list[Order]:
        """Open orders of services whose contracts must end before withdrawal (R11)."""
        return await self._all(
            select(OrderRow).where(
                col(OrderRow.member_id) == member_id,
                col(OrderRow.status).not_in(["active", "rejected"]),
                col(OrderRow.withdrawal_requires_contracts_ended).is_(True),
            )
        )

    async def awaiting_activation_notice(self) -> list[Order]:
        """Accepted-or-later orders of services that send the notice before the start, not yet
        notified; the caller decides which are due by the business calendar (R18)."""
        return await self._all(
            select(OrderRow).where(
                col(OrderRow.notice_business_days_before).is_not(None),
                col(OrderRow.status).in_(["accepted", "provisioning", "active"]),
                ~sa.exists().where(col(ActivationNoticeIssued.order_id) == col(OrderRow.id)),
            )
        )


class ActivationNotices(SqlRepository):
    """The activation notices already issued: one per order, by its primary key (R18)."""

    async def claim(self, order_id: uuid.UUID) -> bool:
        """Record the order's activation notice as issued; False when it already was."""
        statement = (
            insert(ActivationNoticeIssued)
            .values(order_id=order_id, issued_at=self.clock())
            .on_conflict_do_nothing()
            .returning(col(ActivationNoticeIssued.order_id))
        )
        return (await self.session.execute(statement)).first() is not None


@dataclasses.dataclass(frozen=True)
class EarlierRequest:
    """A live earlier claim of an ``Idempotency-Key``: its body's digest and its order."""

    body_hash: str
    order_id: uuid.UUID | None


class RequestKeys(SqlRepository):
    """The ``Idempotency-Key`` s of ``POST /orders``: one order per member and key."""

    async def claim(
        self,
        *,
        member_id: uuid.UUID,
        key: str,
        body_hash: str,
        now: datetime,
        expired_before: datetime,
    ) -> EarlierRequest | None:
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
        if (await self.session.execute(claimed)).first() is not None:
            return None
        row = (
            await self.session.execute(
                select(OrderRequestKey).where(
                    col(OrderRequestKey.member_id) == member_id, col(OrderRequestKey.key) == key
                )
            )
        ).scalar_one()
        return EarlierRequest(body_hash=row.body_hash, order_id=row.order_id)

    async def bind(self, *, member_id: uuid.UUID, key: str, order_id: uuid.UUID) -> None:
        """Remember which order a claimed key created."""
        await self.session.execute(
            sa.update(OrderRequestKey)
            .where(col(OrderRequestKey.member_id) == member_id, col(OrderRequestKey.key) == key)
            .values(order_id=order_id)
        )

    async def prune(self, *, claimed_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` keys claimed before ``claimed_before``; returns how many.

        ``created_at`` is tested on the row itself, so a key that a concurrent
        request is claiming anew (its upsert moves ``created_at`` to now) is
        re-checked after that request's commit and kept.
        """
        claimed = col(OrderRequestKey.created_at) < claimed_before
        oldest = (
            select(col(OrderRequestKey.member_id), col(OrderRequestKey.key))
            .where(claimed)
            .limit(limit)
        )
        result = await self.session.execute(
            sa.delete(OrderRequestKey).where(
                claimed,
                sa.tuple_(col(OrderRequestKey.member_id), col(OrderRequestKey.key)).in_(oldest),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class ContractRepository(_AggregateRepository[Contract]):
    """Contracts (:class:`Contract`) opened by activated orders."""

    _mapping = _CONTRACTS

    async def of_order(self, order_id: uuid.UUID) -> Contract | None:
        """The contract an order opened, if it is active."""
        return await self._one(select(ContractRow).where(col(ContractRow.order_id) == order_id))

    async def page(
        self,
        *,
        member_id: uuid.UUID | None = None,
        status: ContractStatus | None = None,
        today: date | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Contract]:
        """A page of contracts, newest first: of one member, and/or in one status as of the
        Japan date ``today`` (:meth:`Contract.status_on`)."""
        query = select(ContractRow)
        if member_id is not None:
            query = query.where(col(ContractRow.member_id) == member_id)
        if status is not None:
            assert today is not None, "a status is as of a day"
            end = col(ContractRow.end_date)
            query = query.where(
                {
                    "active": end.is_(None),
                    "cancellation_scheduled": end >= today,
                    "ended": end < today,
                }[status]
            )
        return await self._page(query, limit=limit, cursor=cursor)

    async def blocking_withdrawal(self, *, member_id: uuid.UUID, today: date) -> list[Contract]:
        """Not-yet-ended contracts of services whose contracts must end first (R11)."""
        return await self._all(
            select(ContractRow).where(
                col(ContractRow.member_id) == member_id,
                col(ContractRow.withdrawal_requires_contracts_ended).is_(True),
                sa.or_(col(ContractRow.end_date).is_(None), col(ContractRow.end_date) >= today),
            )
        )
