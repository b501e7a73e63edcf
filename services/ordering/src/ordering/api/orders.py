"""``/api/v1/orders``: place an order, and the member's purchase history (R4, R15, R16)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ordering.api.deps import SettingsDep, UowDep
from ordering.api.schemas import OrderPage, OrderView, PlaceOrderBody
from ordering.service_layer import queries
from ordering.service_layer.placing import PlaceOrder, place_order
from servicekit.auth import CurrentMember, CurrentMemberId

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
    member_id: CurrentMemberId,
    uow: UowDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    """Place an order; every broken rule is answered at once (422 ``order.invalid``)."""
    command = PlaceOrder(**body.model_dump(), idempotency_key=idempotency_key)
    async with uow:
        placed = await place_order(
            uow=uow,
            command=command,
            member_id=member_id,
            token_entity_type=member.entity_type,
            settings=settings,
        )
    if placed.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return OrderView.of(placed.order)


@router.get("", response_model=OrderPage)
async def history(
    member_id: CurrentMemberId,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> OrderPage:
    """The caller's own orders, newest first, with their status history (R15)."""
    async with uow:
        page = await queries.orders_page(uow=uow, member_id=member_id, limit=limit, cursor=cursor)
    return OrderPage(items=[OrderView.of(o) for o in page.items], next_cursor=page.next_cursor)


@router.get("/{order_id}", response_model=OrderView)
async def one(order_id: uuid.UUID, member_id: CurrentMemberId, uow: UowDep) -> OrderView:
    """One of the caller's orders; another member's order is 404, never 403 (R15)."""
    async with uow:
        order = await queries.order(uow=uow, order_id=order_id, member_id=member_id)
    return OrderView.of(order)
