"""The customer directory (R30): ops find a member and read their record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from identity.domain.directory import DirectoryEntry, search_terms
from identity.domain.documents import IdentityDocument
from identity.domain.errors import MemberNotFound
from identity.domain.member import Member
from identity.domain.withdrawal import WithdrawalRequest
from identity.service_layer.members import member_by_id
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.pagination import Page


@dataclass(frozen=True)
class MemberRecord:
    """What a member's page in the console shows from identity."""

    member: Member
    #: The latest identity document and its review (sole proprietors, R12).
    latest_document: IdentityDocument | None
    latest_withdrawal: WithdrawalRequest | None


async def search(
    *, uow: IdentityUnitOfWork, query: str, limit: int, cursor: str | None
) -> Page[DirectoryEntry]:
    """Members whose name, kana, organization, corporate number, login ID, contact
    email, phone or id contains ``query`` (width-, case- and kana-insensitive),
    newest registration first; every member for a blank query."""
    async with uow:
        return await uow.directory.search(search_terms(query), limit=limit, cursor=cursor)


async def record(*, uow: IdentityUnitOfWork, member_id: uuid.UUID) -> MemberRecord:
    """The member's profile, status, registration, policy acceptance, identity
    document and withdrawal; 404 for an unknown id or an operator."""
    async with uow:
        member = await member_by_id(uow, member_id)
        if member.is_operator:
            raise MemberNotFound()
        documents = await uow.documents.of_member(member_id)
        return MemberRecord(
            member=member,
            latest_document=documents[0] if documents else None,
            latest_withdrawal=await uow.withdrawals.latest_of(member_id),
        )
