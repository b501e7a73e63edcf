"""HTTP routers of the notification service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from notification.api import deliveries, inquiries, notices

ROUTERS: list[APIRouter] = [
    notices.public_router,
    notices.ops_router,
    inquiries.member_router,
    inquiries.ops_router,
    deliveries.router,
]
