"""HTTP routers of the billing service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from billing.api import account, collection, internal, invoices, ops, reconciliation

ROUTERS: list[APIRouter] = [
    account.router,
    invoices.router,
    ops.router,
    internal.router,
    reconciliation.router,
    collection.router,
]
