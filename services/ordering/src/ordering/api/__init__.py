"""HTTP routers of the ordering service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from ordering.api import contracts, internal, ops, ops_contracts, orders

ROUTERS: list[APIRouter] = [
    orders.router,
    contracts.router,
    ops.router,
    ops_contracts.router,
    internal.router,
]
