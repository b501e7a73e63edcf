"""``/api/v1/orders``: place an order, and the member's purchase history (R4, R15, R16)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ordering.adapters import repository
from ordering.api.deps import ClockDep, RuntimeDep, SettingsDep
from ordering.api.schemas import OrderPage, OrderView, PlaceOrderBody
from ordering.service_layer.placing import PlaceOrder, member_id_of, place_order
from ordering.service_layer.progression import order_not_found
from servicekit.auth import CurrentMember
from servicekit.problems import refusing_invalid_cursors

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat the same key with the same body within 24 h to get the first order "
        "back; another body with the key is 422.",
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=OrderView,
    responses={200: {"description": "The order an earlier request with this key placed"}},
)
async def place(
    body: PlaceOrderBody,
    member: CurrentMember,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    """Place an order; every broken rule is answered at once (422 ``order.invalid``)."""
    command = PlaceOrder(**body.model_dump(), idempotency_key=idempotency_key)
    async with runtime.uow() as uow:
        placed = await place_order(
            command, principal=member, uow=uow, settings=settings, clock=clock
        )
    if placed.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return OrderView.of(placed.order)


@router.get("", response_model=OrderPage)
async def history(
    member: CurrentMember,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> OrderPage:
    """The caller's own orders, newest first, with their status history (R15)."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            orders, next_cursor = await repository.list_orders(
                session=session, member_id=member_id_of(member), limit=limit, cursor=cursor
            )
    return OrderPage(items=[OrderView.of(o) for o in orders], next_cursor=next_cursor)


@router.get("/{order_id}", response_model=OrderView)
async def one(order_id: uuid.UUID, member: CurrentMember, runtime: RuntimeDep) -> OrderView:
    """One of the caller's orders; another member's order is 404, never 403 (R15)."""
    async with runtime.sessions() as session:
        order = await repository.get_order(session=session, order_id=order_id)
    if order is None or order.member_id != member_id_of(member):
        raise order_not_found()
    return OrderView.of(order)
