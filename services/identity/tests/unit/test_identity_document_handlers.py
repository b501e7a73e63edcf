"""R12: identity documents of sole proprietors, run with a fake unit of work and a
fake document store (no database, no disk)."""

from __future__ import annotations

import uuid

import pytest

from bizmall_events.identity import DocumentReviewed
from identity.domain.errors import (
    DocumentAlreadyReviewed,
    DocumentNotFound,
    DocumentTooLarge,
    RejectionReasonRequired,
    SoleProprietorsOnly,
    UnsupportedDocumentType,
)
from identity.domain.member import Member
from identity.service_layer import documents

from .world import NOW, World, registration_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30
OPS = "ops-1"


async def _sole_proprietor(world: World) -> Member:
    return await world.verified_member(
        registration_of(
            entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
        )
    )


async def _upload(world: World, member: Member, content: bytes = PNG):  # type: ignore[no-untyped-def]
    return await world.upload_document(member, content)


async def _review(world: World, document_id: uuid.UUID, decision: str, reason: str | None = None):  # type: ignore[no-untyped-def]
    return await documents.review(
        uow=world.uow,
        document_id=document_id,
        decision=decision,  # type: ignore[arg-type]
        reason=reason,
        actor=OPS,
    )


async def test_r12_a_sole_proprietor_s_document_is_stored_and_awaits_review() -> None:
    world = World()
    member = await _sole_proprietor(world)
    document = await _upload(world, member, PDF)
    assert (document.status, document.content_type) == ("pending", "application/pdf")
    assert document.size_bytes == len(PDF) and document.uploaded_at == NOW
    assert world.store.files[document.id] == PDF
    assert [d.id for d in await documents.list_own(uow=world.uow, member_id=member.id)] == [
        document.id
    ]


async def test_r12_a_corporation_submits_no_identity_document() -> None:
    world = World()
    corporation = await world.verified_member()
    with pytest.raises(SoleProprietorsOnly):
        await _upload(world, corporation)
    assert world.store.files == {} and len(world.uow.documents) == 0


async def test_r12_the_file_type_is_recognised_by_its_content() -> None:
    world = World()
    member = await _sole_proprietor(world)
    with pytest.raises(UnsupportedDocumentType):
        await _upload(world, member, b"just some text, not an image")
    assert (await _upload(world, member, b"\xff\xd8\xff\xe0" + PNG)).content_type == "image/jpeg"


async def test_r12_a_file_over_the_limit_is_refused() -> None:
    world = World()
    member = await _sole_proprietor(world)
    with pytest.raises(DocumentTooLarge):
        await _upload(world, member, PNG + b"\x00" * world.settings.document_max_bytes)
    assert world.store.files == {}


async def test_r12_a_rejection_names_its_reason() -> None:
    world = World()
    document = await _upload(world, await _sole_proprietor(world))
    with pytest.raises(RejectionReasonRequired) as refused:
        await _review(world, document.id, "rejected")
    assert refused.value.errors == [
        {"field": "body.reason", "code": "missing", "message": "required"}
    ]
    assert document.status == "pending"


async def test_r12_a_review_is_published_and_audited() -> None:
    world = World()
    member = await _sole_proprietor(world)
    document = await _upload(world, member)
    reviewed = await _review(world, document.id, "rejected", "写真が不鮮明です")
    assert (reviewed.status, reviewed.reason, reviewed.reviewed_by) == (
        "rejected",
        "写真が不鮮明です",
        OPS,
    )
    [event] = world.uow.events_of(DocumentReviewed)
    assert (event.member_id, event.decision, event.reason) == (
        member.id,
        "rejected",
        "写真が不鮮明です",
    )
    assert event.aggregate_version == 2
    [entry] = world.uow.audited("document.rejected")
    assert entry.details == {"reason": "写真が不鮮明です"}


async def test_r12_an_approval_keeps_no_reason() -> None:
    world = World()
    document = await _upload(world, await _sole_proprietor(world))
    await _review(world, document.id, "approved", "looks fine")
    assert document.reason is None
    assert world.uow.events_of(DocumentReviewed)[0].reason is None


async def test_r12_a_document_is_reviewed_once() -> None:
    world = World()
    document = await _upload(world, await _sole_proprietor(world))
    await _review(world, document.id, "approved")
    with pytest.raises(DocumentAlreadyReviewed):
        await _review(world, document.id, "rejected", "too late")
    assert document.status == "approved" and len(world.uow.events_of(DocumentReviewed)) == 1


async def test_r12_a_rejected_member_uploads_another_document() -> None:
    world = World()
    member = await _sole_proprietor(world)
    first = await _upload(world, member)
    await _review(world, first.id, "rejected", "写真が不鮮明です")
    second = await _upload(world, member)

    listed = await documents.list_own(uow=world.uow, member_id=member.id)
    assert {d.id for d in listed} == {first.id, second.id} and second.status == "pending"


async def test_r12_files_are_deleted_90_days_after_review_and_the_records_kept() -> None:
    world = World()
    document = await _upload(world, await _sole_proprietor(world))
    await _review(world, document.id, "approved")
    retention = world.settings.document_retention_days
    world.later(days=retention)
    purge = documents.purge_reviewed_files
    assert await purge(uow=world.uow, store=world.store, retention_days=retention) == 0  # type: ignore[arg-type]
    world.later(seconds=1)
    assert await purge(uow=world.uow, store=world.store, retention_days=retention) == 1  # type: ignore[arg-type]
    assert world.store.files == {} and document.file_deleted and document.status == "approved"
    with pytest.raises(DocumentNotFound):
        await documents.file_for_ops(
            uow=world.uow,
            store=world.store,  # type: ignore[arg-type]
            document_id=document.id,
            actor=OPS,
        )


async def test_r12_ops_viewing_a_file_is_audited() -> None:
    world = World()
    document = await _upload(world, await _sole_proprietor(world))
    found = await documents.file_for_ops(
        uow=world.uow,
        store=world.store,  # type: ignore[arg-type]
        document_id=document.id,
        actor=OPS,
    )
    assert (found.content, found.media_type) == (PNG, "image/png")
    [entry] = world.uow.audited("document.viewed")
    assert (entry.actor, entry.target) == (OPS, f"document:{document.id}")
