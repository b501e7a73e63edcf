"""In-memory versions of ordering's repositories, bound to a fake unit of work.

Each has the method names and signatures of its SQL twin in
``ordering.adapters.repository``. Aggregates are stored as copies: a handler
that changes an order without saving it leaves the stored one unchanged, as
the database would.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from bizmall_events import ContractTerms, LocalizedText, ServiceSnapshot
from jpcalendar import JST
from ordering.adapters.held_copies import HeldMember
from ordering.adapters.repository import EarlierRequest, KeyClaim
from ordering.domain.contract import Contract, ContractStatus
from ordering.domain.member import Member
from ordering.domain.order import Order
from servicekit.aggregate import Aggregate
from servicekit.pagination import Page, decode_cursor, page_of
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository

A = TypeVar("A", bound=Aggregate)


def _stored(item: A) -> A:
    kept = copy.deepcopy(item)
    kept.collect_events()
    return kept


def _newest_first(items: list[Any], *, limit: int, cursor: str | None) -> Page[Any]:
    def key(item: Any) -> tuple[datetime, uuid.UUID]:
        return item.created_at, item.id

    ordered = sorted(items, key=key, reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor, datetime, uuid.UUID)
        ordered = [item for item in ordered if key(item) < after]
    return page_of(ordered[: limit + 1], limit=limit, key=key)


class _AggregateStore(InMemoryRepository[uuid.UUID, A]):
    """Copies in, copies out; what is handed out is tracked by the unit of work."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda item: item.id)

    def seed(self, item: A) -> A:
        """Store ``item`` as if an earlier transaction had committed it (no events)."""
        self.items[item.id] = _stored(item)
        return item

    def _out(self, predicate: Callable[[A], bool]) -> list[A]:
        return [self._track(copy.deepcopy(item)) for item in self.items.values() if predicate(item)]

    async def add(self, item: A) -> None:
        self.items[item.id] = _stored(item)
        self._track(item)

    async def save(self, item: A) -> None:
        assert item.id in self.items, "saving an aggregate that was never added"
        self.items[item.id] = _stored(item)

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> A | None:
        found = self._out(lambda item: item.id == item_id)
        return found[0] if found else None


class InMemoryOrders(_AggregateStore[Order]):
    """Orders, as :class:`ordering.adapters.repository.OrderRepository` keeps them."""

    def __init__(self, uow: FakeOrderingUnitOfWork) -> None:
        super().__init__(uow)
        self._notices = uow.notices
        self._ordering = uow

    async def place_if_held(
        self, order: Order, *, member_version: int | None, key: KeyClaim | None
    ) -> bool:
        uow = self._ordering
        if uow.catalog.current_version.get(order.service_id) != order.service_version:
            return False
        held = uow.members.members.get(order.member_id)
        version = None if held is None else (-1 if held[1].withdrawn else held[0])
        if version != member_version:
            return False
        if key is not None:
            claimed = uow.request_keys.keys.get((order.member_id, key.key))
            if claimed is not None and claimed[2] >= key.expired_before:
                return False
            uow.request_keys.keys[(order.member_id, key.key)] = (key.body_hash, order.id, key.at)
        await self.add(order)
        return True

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
        found = self._out(
            lambda o: (
                (member_id is None or o.member_id == member_id)
                and (service_id is None or o.service_id == service_id)
                and (status is None or o.status == status)
                and (placed_since is None or o.created_at >= placed_since)
                and (placed_before is None or o.created_at < placed_before)
            )
        )
        return _newest_first(found, limit=limit, cursor=cursor)

    async def awaiting_documents(
        self, *, member_id: uuid.UUID | None = None, placed_before: datetime | None = None
    ) -> list[Order]:
        return self._out(
            lambda o: (
                o.status == "awaiting_documents"
                and (member_id is None or o.member_id == member_id)
                and (placed_before is None or o.created_at <= placed_before)
            )
        )

    async def blocking_withdrawal(self, member_id: uuid.UUID) -> list[Order]:
        return self._out(
            lambda o: (
                o.member_id == member_id
                and o.status not in ("active", "rejected")
                and o.withdrawal_requires_contracts_ended
            )
        )

    async def awaiting_activation_notice(self) -> list[Order]:
        return self._out(
            lambda o: (
                o.notice_business_days_before is not None
                and o.status in ("accepted", "provisioning", "active")
                and o.id not in self._notices.issued
            )
        )


class InMemoryContracts(_AggregateStore[Contract]):
    """Contracts, as :class:`ordering.adapters.repository.ContractRepository` keeps them."""

    async def of_order(self, order_id: uuid.UUID) -> Contract | None:
        found = self._out(lambda c: c.order_id == order_id)
        return found[0] if found else None

    async def page(
        self,
        *,
        member_id: uuid.UUID | None = None,
        status: ContractStatus | None = None,
        today: date | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Contract]:
        return _newest_first(
            self._out(
                lambda c: (
                    (member_id is None or c.member_id == member_id)
                    and (status is None or (today is not None and c.status_on(today) == status))
                )
            ),
            limit=limit,
            cursor=cursor,
        )

    async def blocking_withdrawal(self, *, member_id: uuid.UUID, today: date) -> list[Contract]:
        return self._out(
            lambda c: (
                c.member_id == member_id
                and c.withdrawal_requires_contracts_ended
                and (c.end_date is None or c.end_date >= today)
            )
        )


class InMemoryCatalogCopy:
    """Every version of every service; the newest is current."""

    def __init__(self) -> None:
        self.versions: dict[tuple[uuid.UUID, int], ServiceSnapshot] = {}
        self.current_version: dict[uuid.UUID, int] = {}
        #: What :meth:`current` last read, by service (the process's memory).
        self.held: dict[uuid.UUID, ServiceSnapshot] = {}

    async def store(self, snapshot: ServiceSnapshot) -> bool:
        self.held.pop(snapshot.service_id, None)
        self.versions.setdefault((snapshot.service_id, snapshot.service_version), snapshot)
        held = self.current_version.get(snapshot.service_id)
        if held is not None and held >= snapshot.service_version:
            return False
        self.current_version[snapshot.service_id] = snapshot.service_version
        return True

    async def current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        version = self.current_version.get(service_id)
        if version is None:
            self.held.pop(service_id, None)
            return None
        self.held[service_id] = self.versions[(service_id, version)]
        return self.held[service_id]

    def held_current(self, service_id: uuid.UUID) -> ServiceSnapshot | None:
        return self.held.get(service_id)

    async def version(self, service_id: uuid.UUID, version: int) -> ServiceSnapshot | None:
        return self.versions.get((service_id, version))


class InMemoryMemberCopies:
    """Members and their reviewed documents; ``locked`` lists the member locks taken."""

    def __init__(self) -> None:
        self.members: dict[uuid.UUID, tuple[int, Member]] = {}
        #: What :meth:`get` last read, by member (the process's memory).
        self.held_members: dict[uuid.UUID, HeldMember] = {}
        self.documents: dict[uuid.UUID, tuple[int, uuid.UUID, str]] = {}
        self.locked: list[uuid.UUID] = []

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
        self.held_members.pop(member_id, None)
        held = self.members.get(member_id)
        if held is not None and held[0] >= version:
            return
        withdrawn = status == "withdrawn" or (held is not None and held[1].withdrawn)
        self.members[member_id] = (
            version,
            Member(
                member_id=member_id,
                entity_type=entity_type,
                withdrawn=withdrawn,
                name=name,
                organization_name=organization_name,
            ),
        )

    async def mark_withdrawn(self, member_id: uuid.UUID) -> None:
        self.held_members.pop(member_id, None)
        held = self.members.get(member_id)
        if held is not None:
            version, member = held
            self.members[member_id] = (version, dataclasses.replace(member, withdrawn=True))

    async def get(self, member_id: uuid.UUID) -> Member | None:
        held = self.members.get(member_id)
        self.held_members[member_id] = HeldMember(
            member=held[1] if held is not None else None,
            version=held[0] if held is not None else None,
        )
        return self.held_members[member_id].member

    def held(self, member_id: uuid.UUID) -> HeldMember | None:
        return self.held_members.get(member_id)

    async def many(self, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Member]:
        return {m: self.members[m][1] for m in set(member_ids) if m in self.members}

    async def store_document_review(
        self,
        *,
        document_id: uuid.UUID,
        member_id: uuid.UUID,
        version: int,
        decision: str,
        reviewed_at: datetime,
    ) -> bool:
        held = self.documents.get(document_id)
        if held is not None and held[0] >= version:
            return False
        self.documents[document_id] = (version, member_id, decision)
        return True

    async def has_approved_document(self, member_id: uuid.UUID) -> bool:
        return any(m == member_id and d == "approved" for _, m, d in self.documents.values())

    async def lock(self, member_id: uuid.UUID) -> None:
        self.locked.append(member_id)


class InMemoryRequestKeys:
    """Idempotency-Keys: ``(member_id, key)`` → body digest, order, claimed at."""

    def __init__(self) -> None:
        self.keys: dict[tuple[uuid.UUID, str], tuple[str, uuid.UUID | None, datetime]] = {}

    async def claim(
        self,
        *,
        member_id: uuid.UUID,
        key: str,
        body_hash: str,
        now: datetime,
        expired_before: datetime,
    ) -> EarlierRequest | None:
        held = self.keys.get((member_id, key))
        if held is None or held[2] < expired_before:
            self.keys[(member_id, key)] = (body_hash, None, now)
            return None
        return EarlierRequest(body_hash=held[0], order_id=held[1])

    async def bind(self, *, member_id: uuid.UUID, key: str, order_id: uuid.UUID) -> None:
        body_hash, _, at = self.keys[(member_id, key)]
        self.keys[(member_id, key)] = (body_hash, order_id, at)

    async def prune(self, *, claimed_before: datetime, limit: int) -> int:
        old = [held for held, (_, _, at) in self.keys.items() if at < claimed_before][:limit]
        for held in old:
            del self.keys[held]
        return len(old)


class InMemoryActivationNotices:
    """The order ids whose activation notice was issued."""

    def __init__(self) -> None:
        self.issued: set[uuid.UUID] = set()

    async def claim(self, order_id: uuid.UUID) -> bool:
        if order_id in self.issued:
            return False
        self.issued.add(order_id)
        return True


class FakeOrderingUnitOfWork(FakeUnitOfWork):
    """:class:`ordering.service_layer.unit_of_work.OrderingUnitOfWork` without a database.

    The repositories outlive ``async with``, so a test seeds them first.
    """

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="ordering", now=now)
        self.notices = InMemoryActivationNotices()
        self.orders = InMemoryOrders(self)
        self.contracts = InMemoryContracts(self)
        self.catalog = InMemoryCatalogCopy()
        self.members = InMemoryMemberCopies()
        self.request_keys = InMemoryRequestKeys()


# --- builders -----------------------------------------------------------------

#: Monday 1 June 2026, 10:00 Japan time: a business day before the 13:00 cut-off.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
#: The earliest start date at :data:`NOW` for a lead time of 5 business days (R17).
START = date(2026, 6, 8)

NAME = LocalizedText(ja="光回線", en="Fiber line")


def terms(**overrides: Any) -> ContractTerms:
    """Terms as recorded at ordering: 3,000 yen a month, 12 months, remaining-months fee."""
    values: dict[str, Any] = {
        "service_version": 1,
        "plan_version_id": uuid.uuid4(),
        "monthly_fee": 3000,
        "initial_fee": 5000,
        "free_first_month": False,
        "allows_account_transfer": True,
        "cancellable_on_site": True,
        "early_termination": {"kind": "remaining_months"},
        "minimum_term_months": 12,
    }
    values.update(overrides)
    return ContractTerms.model_validate(values)


def make_order(*, at: datetime, awaiting_documents: bool = False, **overrides: Any) -> Order:
    """An order placed at ``at`` (received, or awaiting documents), its events collected."""
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "member_id": uuid.uuid4(),
        "service_id": uuid.uuid4(),
        "service_version": 1,
        "service_name": NAME,
        "plan_id": uuid.uuid4(),
        "plan_version_id": uuid.uuid4(),
        "plan_name": NAME,
        "quantity": 1,
        "options": {},
        "desired_start_date": START,
        "planned_start_date": START,
        "terms": terms(),
        "notice_business_days_before": None,
        "withdrawal_requires_contracts_ended": False,
        "inquiry_reference": "ref",
    }
    values.update(overrides)
    order = Order.place(awaiting_documents=awaiting_documents, at=at, **values)
    order.collect_events()
    return order


def make_contract(*, at: datetime, start_date: date, **order_overrides: Any) -> Contract:
    """The contract of an order activated on ``start_date``, its events collected."""
    order = make_order(at=at, **order_overrides)
    order.accept(at=at)
    order.activate(at=at)
    contract = Contract.open(order, start_date=start_date, at=at)
    contract.collect_events()
    return contract
