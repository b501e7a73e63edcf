"""The customer directory (R30): ops find members and open a member's record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from identity.api.deps import UowDep
from identity.api.schemas import MemberDirectoryPage, MemberEntryView, OpsMemberView
from identity.service_layer import directory
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/identity/members", tags=["ops: customer directory"])


@router.get("")
async def search_members(
    ops: OpsOnly,
    uow: UowDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> MemberDirectoryPage:
    """Members whose person name, kana, organization, corporate number (with or
    without hyphens), login ID, contact email, phone or member id contains ``q``:
    case-, width- and kana-insensitive (ｶﾀｶﾅ, カタカナ, かたかな and full-width digits
    match). Newest registration first; every member for an empty ``q``."""
    page = await directory.search(uow=uow, query=q, limit=limit, cursor=cursor)
    return MemberDirectoryPage(
        items=[MemberEntryView.of(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get("/{member_id}", responses={404: {"description": "No such member."}})
async def member_record(member_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> OpsMemberView:
    """A member's profile, status, registration and policy acceptance, latest identity
    document and its review, and latest withdrawal request."""
    return OpsMemberView.of_record(await directory.record(uow=uow, member_id=member_id))
