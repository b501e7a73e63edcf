"""HTTP routers of the catalog service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from catalog.api import ops, public

ROUTERS: list[APIRouter] = [public.router, ops.router]
