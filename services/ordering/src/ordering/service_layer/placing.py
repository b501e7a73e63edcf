"""Placing an order: ``POST /api/v1/orders`` (R4, R12–R14, R16, R17, R28).

Validation runs on the local copies only; the order, its idempotency key and
its ``ordering.order.placed`` event commit together.

Most orders are checked against the copies this process holds in memory and
stored by one statement that also checks those copies are still current
(:meth:`OrderRepository.place_if_held`): one round trip between BEGIN and
COMMIT. Everything else goes step by step, reading the copies afresh: a
copy that moved on, an Idempotency-Key already used, a sole proprietor (whose
documents are checked under the member lock), and every refusal, so a refused
or replayed request is answered exactly as before.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from bizmall_events import ContractTerms, ServiceSnapshot
from ordering.adapters.repository import KeyClaim
from ordering.config import Settings
from ordering.domain.errors import (
    IdempotencyKeyReused,
    MemberWithdrawn,
    OrderInvalid,
    PlanVersionOutdated,
)
from ordering.domain.order import Order
from ordering.domain.placement import ContactCenter, OrderRequest, Violation, check_order
from ordering.service_layer.unit_of_work import OrderingUnitOfWork


@dataclass(frozen=True)
class PlaceOrder:
    """The command: what the member sent, and the optional Idempotency-Key."""

    service_id: uuid.UUID
    plan_id: uuid.UUID
    quantity: int
    desired_start_date: date
    options: dict[str, Any]
    plan_version_id: uuid.UUID | None = None
    idempotency_key: str | None = None

    def body_hash(self) -> str:
        """A digest of the body (not the key): the same key must come with the same body."""
        body = {
            "service_id": str(self.service_id),
            "plan_id": str(self.plan_id),
            "quantity": self.quantity,
            "desired_start_date": self.desired_start_date.isoformat(),
            "options": self.options,
            "plan_version_id": str(self.plan_version_id) if self.plan_version_id else None,
        }
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Placed:
    """The order, and whether it was created by an earlier request with the same key."""

    order: Order
    replayed: bool


def contact_center(settings: Settings) -> ContactCenter:
    """The contact center's details from settings (R14, R20)."""
    return ContactCenter(
        phone=settings.contact_center_phone,
        hours_ja=settings.contact_center_hours_ja,
        hours_en=settings.contact_center_hours_en,
    )


async def place_order(
    *,
    uow: OrderingUnitOfWork,
    command: PlaceOrder,
    member_id: uuid.UUID,
    token_entity_type: str | None,
    settings: Settings,
) -> Placed:
    """Validate and store the order, or answer the earlier order of the same key.

    ``token_entity_type`` is what the member's access token says, used until
    identity's events about the member arrive. Raises :class:`OrderInvalid`
    listing every broken rule, :class:`PlanVersionOutdated`,
    :class:`IdempotencyKeyReused` or :class:`MemberWithdrawn`.
    """
    placed = await _place_on_held_copies(
        uow=uow,
        command=command,
        member_id=member_id,
        token_entity_type=token_entity_type,
        settings=settings,
    )
    if placed is not None:
        return placed
    return await _place_step_by_step(
        uow=uow,
        command=command,
        member_id=member_id,
        token_entity_type=token_entity_type,
        settings=settings,
    )


def _violations(
    snapshot: ServiceSnapshot | None,
    command: PlaceOrder,
    *,
    entity_type: str | None,
    now: datetime,
    settings: Settings,
) -> list[Violation]:
    """What the order rules refuse in ``command`` (R15-R17), on either path."""
    return check_order(
        snapshot,
        _request(command),
        entity_type=entity_type,
        now=now,
        contact=contact_center(settings),
    )


async def _place_on_held_copies(
    *,
    uow: OrderingUnitOfWork,
    command: PlaceOrder,
    member_id: uuid.UUID,
    token_entity_type: str | None,
    settings: Settings,
) -> Placed | None:
    """The order placed in one statement on the copies held in memory; None to go step by step.

    Nothing is answered from here but a new order: whatever would be refused,
    replayed or needs the member lock is left to :func:`_place_step_by_step`,
    which reads the copies afresh.
    """
    snapshot = uow.catalog.held_current(command.service_id)
    held = uow.members.held(member_id)
    if snapshot is None or held is None:
        return None
    if held.member is not None and held.member.withdrawn:
        return None
    entity_type = held.member.entity_type if held.member is not None else token_entity_type
    if entity_type == "sole_proprietor" or _outdated_plan_version(snapshot, command) is not None:
        return None
    now = uow.now()
    violations = _violations(snapshot, command, entity_type=entity_type, now=now, settings=settings)
    if violations:
        return None
    order = _new_order(snapshot, command, member_id=member_id, now=now, awaiting=False)
    key = None
    if command.idempotency_key is not None:
        key = KeyClaim(
            key=command.idempotency_key,
            body_hash=command.body_hash(),
            at=now,
            expired_before=now - timedelta(hours=settings.idempotency_window_hours),
        )
    if not await uow.orders.place_if_held(order, member_version=held.version, key=key):
        # Start again from a clean transaction: nothing of this attempt was kept.
        await uow.rollback()
        return None
    await uow.commit()
    return Placed(order=order, replayed=False)


async def _place_step_by_step(
    *,
    uow: OrderingUnitOfWork,
    command: PlaceOrder,
    member_id: uuid.UUID,
    token_entity_type: str | None,
    settings: Settings,
) -> Placed:
    now = uow.now()
    if command.idempotency_key is not None:
        earlier = await uow.request_keys.claim(
            member_id=member_id,
            key=command.idempotency_key,
            body_hash=command.body_hash(),
            now=now,
            expired_before=now - timedelta(hours=settings.idempotency_window_hours),
        )
        if earlier is not None:
            return await _replay(earlier.body_hash, earlier.order_id, command, uow=uow)

    snapshot = await uow.catalog.current(command.service_id)
    copy = await uow.members.get(member_id)
    if copy is not None and copy.withdrawn:
        raise MemberWithdrawn()
    # Identity's events may not have arrived yet for a member ordering right
    # after registration; the token's claims say the same, signed by identity.
    entity_type = copy.entity_type if copy is not None else token_entity_type
    _check_plan_version(snapshot, command)
    violations = _violations(snapshot, command, entity_type=entity_type, now=now, settings=settings)
    if violations:
        raise OrderInvalid(violations)
    assert snapshot is not None

    awaiting_documents = False
    if entity_type == "sole_proprietor":
        await uow.members.lock(member_id)
        awaiting_documents = not await uow.members.has_approved_document(member_id)
    order = _new_order(snapshot, command, member_id=member_id, now=now, awaiting=awaiting_documents)
    await uow.orders.add(order)
    if command.idempotency_key is not None:
        await uow.request_keys.bind(
            member_id=member_id, key=command.idempotency_key, order_id=order.id
        )
    await uow.commit()
    return Placed(order=order, replayed=False)


def _request(command: PlaceOrder) -> OrderRequest:
    return OrderRequest(
        plan_id=command.plan_id,
        quantity=command.quantity,
        desired_start_date=command.desired_start_date,
        options=command.options,
    )


async def _replay(
    body_hash: str, order_id: uuid.UUID | None, command: PlaceOrder, *, uow: OrderingUnitOfWork
) -> Placed:
    if body_hash != command.body_hash():
        raise IdempotencyKeyReused()
    # The key's row commits only together with its order, so a live key has one.
    assert order_id is not None
    order = await uow.orders.get(order_id)
    assert order is not None
    return Placed(order=order, replayed=True)


def _check_plan_version(snapshot: ServiceSnapshot | None, command: PlaceOrder) -> None:
    # A member must never pay a price they did not see: a stale plan version is
    # a conflict to reload, not a field to correct, so it is answered first.
    current = _outdated_plan_version(snapshot, command)
    if current is not None:
        raise PlanVersionOutdated(current)


def _outdated_plan_version(
    snapshot: ServiceSnapshot | None, command: PlaceOrder
) -> uuid.UUID | None:
    """The plan's current version when the member sent another one, else None."""
    if command.plan_version_id is None or snapshot is None or snapshot.status != "published":
        return None
    plan = snapshot.plan(command.plan_id)
    if plan is not None and plan.plan_version_id != command.plan_version_id:
        return plan.plan_version_id
    return None


def _new_order(
    snapshot: ServiceSnapshot,
    command: PlaceOrder,
    *,
    member_id: uuid.UUID,
    now: datetime,
    awaiting: bool,
) -> Order:
    plan = snapshot.plan(command.plan_id)
    assert plan is not None
    timing = snapshot.activation_notice
    return Order.place(
        awaiting_documents=awaiting,
        at=now,
        id=uuid.uuid4(),
        member_id=member_id,
        service_id=snapshot.service_id,
        service_version=snapshot.service_version,
        service_name=snapshot.name,
        plan_id=plan.plan_id,
        plan_version_id=plan.plan_version_id,
        plan_name=plan.name,
        quantity=command.quantity,
        options=command.options,
        desired_start_date=command.desired_start_date,
        planned_start_date=command.desired_start_date,
        terms=ContractTerms(
            service_version=snapshot.service_version,
            plan_version_id=plan.plan_version_id,
            monthly_fee=plan.monthly_fee,
            initial_fee=plan.initial_fee,
            free_first_month=snapshot.free_first_month,
            allows_account_transfer=snapshot.allows_account_transfer,
            cancellable_on_site=snapshot.cancellable_on_site,
            early_termination=snapshot.early_termination,
            minimum_term_months=snapshot.minimum_term_months,
        ),
        notice_business_days_before=(
            timing.business_days if timing.kind == "business_days_before_start" else None
        ),
        withdrawal_requires_contracts_ended=snapshot.withdrawal_requires_contracts_ended,
        inquiry_reference=secrets.token_urlsafe(12),
    )
