"""HTTP routers of the billing service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from billing.api import account, invoices, ops

ROUTERS: list[APIRouter] = [account.router, invoices.router, ops.router]
