"""Identity documents (R12): upload by a sole proprietor, ops review, timed deletion."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from identity.adapters.document_store import DocumentStore
from identity.domain.directory import DirectoryEntry
from identity.domain.documents import (
    Decision,
    IdentityDocument,
    check_rejection_reason,
    check_uploader,
)
from identity.domain.errors import DocumentNotFound
from identity.service_layer.unit_of_work import IdentityUnitOfWork


@dataclass(frozen=True)
class DocumentFile:
    """A document's decrypted file as ops download it."""

    content: bytes
    media_type: str


async def check_may_upload(
    *, uow: IdentityUnitOfWork, member_id: uuid.UUID, max_pending: int
) -> None:
    """Refuse a member who may not send a document now, before the upload is read: a
    corporation, or a member whose documents already fill the review queue."""
    async with uow:
        member = await uow.members.get(member_id)
        pending = await uow.documents.pending_count(member_id)
        check_uploader(member, pending=pending, max_pending=max_pending)


async def upload(
    *,
    uow: IdentityUnitOfWork,
    store: DocumentStore,
    max_bytes: int,
    max_pending: int,
    member_id: uuid.UUID,
    document_type: str,
    source: BinaryIO,
) -> IdentityDocument:
    """Store a sole proprietor's document encrypted and queue it for review.

    The file is copied from ``source`` in chunks before the record is written (a
    crash leaves an orphan file, never a record without one) and removed again when
    the record is refused.
    """
    document_id = uuid.uuid4()
    stored = await store.put_file(document_id, source, max_bytes=max_bytes)
    try:
        async with uow:
            # Locked: parallel uploads of one member count each other's documents.
            member = await uow.members.get(member_id, lock=True)
            document = IdentityDocument.upload(
                member,
                document_id=document_id,
                document_type=document_type,
                head=stored.head,
                size_bytes=stored.size,
                max_bytes=max_bytes,
                pending=await uow.documents.pending_count(member_id),
                max_pending=max_pending,
                now=uow.now(),
            )
            uow.documents.add(document)
            await uow.commit()
            return document
    except BaseException:
        await store.delete(document_id)
        raise


async def list_own(*, uow: IdentityUnitOfWork, member_id: uuid.UUID) -> list[IdentityDocument]:
    """The member's documents with their review state, newest first."""
    async with uow:
        return await uow.documents.of_member(member_id)


@dataclass(frozen=True)
class ReviewItem:
    """A document in the ops review list with who sent it (R30: organization and person);
    ``member`` is None only for a member record that is gone."""

    document: IdentityDocument
    member: DirectoryEntry | None


async def list_by_status(*, uow: IdentityUnitOfWork, status: str) -> list[ReviewItem]:
    """Documents in ``status`` for ops, oldest first, each with its member's names."""
    async with uow:
        found = await uow.documents.in_status(status)
        members = await uow.directory.entries({d.member_id for d in found})
    return [ReviewItem(document=d, member=members.get(d.member_id)) for d in found]


async def file_for_ops(
    *, uow: IdentityUnitOfWork, store: DocumentStore, document_id: uuid.UUID, actor: str
) -> DocumentFile:
    """The decrypted file and its media type; the viewing is audited (R29)."""
    async with uow:
        document = await uow.documents.get(document_id)
        if document is None or document.file_deleted:
            raise DocumentNotFound()
        uow.audit(
            actor=actor,
            action="document.viewed",
            target=f"document:{document_id}",
            member_id=document.member_id,
        )
        content = await store.get(document_id)
        await uow.commit()
        return DocumentFile(content, document.content_type)


async def review(
    *,
    uow: IdentityUnitOfWork,
    document_id: uuid.UUID,
    decision: Decision,
    reason: str | None,
    actor: str,
) -> IdentityDocument:
    """Approve or reject a pending document; audited and published."""
    check_rejection_reason(decision, reason)
    async with uow:
        document = await uow.documents.get(document_id, lock=True)
        if document is None:
            raise DocumentNotFound()
        document.review(decision, reason=reason, actor=actor, now=uow.now())
        uow.audit(
            actor=actor,
            action=f"document.{decision}",
            target=f"document:{document_id}",
            member_id=document.member_id,
            reason=reason,
        )
        await uow.commit()
        return document


async def purge_reviewed_files(
    *, uow: IdentityUnitOfWork, store: DocumentStore, retention_days: int
) -> int:
    """Delete files reviewed more than the retention period ago; records are kept."""
    return await _delete_files(uow, store, retention_days, reviewed=True)


async def purge_unreviewed_files(
    *, uow: IdentityUnitOfWork, store: DocumentStore, retention_days: int
) -> int:
    """Delete the files of documents still waiting for review ``retention_days`` after
    their upload (they leave the review queue and cannot be reviewed; records are kept)."""
    return await _delete_files(uow, store, retention_days, reviewed=False)


async def _delete_files(
    uow: IdentityUnitOfWork, store: DocumentStore, retention_days: int, *, reviewed: bool
) -> int:
    async with uow:
        horizon = uow.now() - timedelta(days=retention_days)
        if reviewed:
            documents = await uow.documents.reviewed_before(horizon)
        else:
            documents = await uow.documents.unreviewed_before(horizon)
        for document in documents:
            await store.delete(document.id)
            document.file_removed(now=uow.now())
        await uow.commit()
        return len(documents)
