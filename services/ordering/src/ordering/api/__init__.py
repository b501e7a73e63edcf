"""HTTP routers of the ordering service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
