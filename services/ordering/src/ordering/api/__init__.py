"""HTTP routers of the ordering service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from ordering.api import contracts, internal, ops, orders

ROUTERS: list[APIRouter] = [orders.router, contracts.router, ops.router, internal.router]
