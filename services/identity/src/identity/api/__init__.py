"""HTTP routers of the identity service (each with the public path the gateway exposes)."""

from fastapi import APIRouter

from identity.api import (
    auth,
    documents,
    internal,
    me,
    ops_members,
    ops_operators,
    ops_withdrawals,
    withdrawal,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    me.router,
    documents.member_router,
    documents.ops_router,
    withdrawal.member_router,
    ops_withdrawals.router,
    ops_members.router,
    ops_operators.router,
    internal.router,
]
