"""Identity documents (R12): upload by a sole proprietor, ops review, timed deletion."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from identity.adapters.document_store import DocumentStore
from identity.domain.documents import Decision, IdentityDocument, check_rejection_reason
from identity.domain.errors import DocumentNotFound
from identity.service_layer.unit_of_work import IdentityUnitOfWork


@dataclass(frozen=True)
class DocumentFile:
    """A document's decrypted file as ops download it."""

    content: bytes
    media_type: str


async def upload(
    *,
    uow: IdentityUnitOfWork,
    store: DocumentStore,
    max_bytes: int,
    member_id: uuid.UUID,
    document_type: str,
    content: bytes,
) -> IdentityDocument:
    """Store a sole proprietor's document encrypted and queue it for review."""
    async with uow:
        member = await uow.members.get(member_id)
        document = IdentityDocument.upload(
            member,
            document_type=document_type,
            content=content,
            max_bytes=max_bytes,
            now=uow.now(),
        )
        uow.documents.add(document)
        # The file before the commit: a crash leaves an orphan file, never a record
        # without one.
        await store.put(document.id, content)
        await uow.commit()
        return document


async def list_own(*, uow: IdentityUnitOfWork, member_id: uuid.UUID) -> list[IdentityDocument]:
    """The member's documents with their review state, newest first."""
    async with uow:
        return await uow.documents.of_member(member_id)


async def list_by_status(*, uow: IdentityUnitOfWork, status: str) -> list[IdentityDocument]:
    """Documents in ``status`` for ops, oldest first."""
    async with uow:
        return await uow.documents.in_status(status)


async def file_for_ops(
    *, uow: IdentityUnitOfWork, store: DocumentStore, document_id: uuid.UUID, actor: str
) -> DocumentFile:
    """The decrypted file and its media type; the viewing is audited (R29)."""
    async with uow:
        document = await uow.documents.get(document_id)
        if document is None or document.file_deleted:
            raise DocumentNotFound()
        uow.audit(actor=actor, action="document.viewed", target=f"document:{document_id}")
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
            reason=reason,
        )
        await uow.commit()
        return document


async def purge_reviewed_files(
    *, uow: IdentityUnitOfWork, store: DocumentStore, retention_days: int
) -> int:
    """Delete files reviewed more than the retention period ago; records are kept."""
    async with uow:
        horizon = uow.now() - timedelta(days=retention_days)
        documents = await uow.documents.reviewed_before(horizon)
        for document in documents:
            await store.delete(document.id)
            document.file_removed(now=uow.now())
        await uow.commit()
        return len(documents)
