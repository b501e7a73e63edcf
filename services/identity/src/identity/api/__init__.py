"""HTTP routers of the identity service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
