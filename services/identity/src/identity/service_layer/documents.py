"""Identity documents (R12): upload by a sole proprietor, ops review, timed deletion."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import col

from bizmall_events.identity import DocumentReviewed
from identity.adapters.document_store import DocumentStore
from identity.adapters.tables import IdentityDocument, Member
from identity.domain.documents import MY_NUMBER_WARNING, sniff_media_type
from identity.service_layer.context import IdentityContext
from servicekit.clock import system_clock
from servicekit.problems import Problem


def store_of(ctx: IdentityContext) -> DocumentStore:
    """The document store described by the settings."""
    return DocumentStore(ctx.settings.document_storage_dir, ctx.settings.document_encryption_key)


def view(document: IdentityDocument) -> dict[str, Any]:
    """A document's record as its owner and ops see it (never the file)."""
    return {
        "id": str(document.id),
        "member_id": str(document.member_id),
        "document_type": document.document_type,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "status": document.status,
        "reason": document.reason,
        "uploaded_at": document.uploaded_at,
        "reviewed_at": document.reviewed_at,
        "file_deleted": document.file_deleted_at is not None,
    }


def _not_found() -> Problem:
    return Problem(404, "document.not_found", ja="書類が見つかりません。", en="No such document.")


async def upload(
    ctx: IdentityContext, *, member_id: str, document_type: str, content: bytes
) -> dict[str, Any]:
    """Store a sole proprietor's document encrypted and queue it for review."""
    if len(content) > ctx.settings.document_max_bytes:
        raise Problem(
            413,
            "document.too_large",
            ja="ファイルサイズは10MB以下にしてください。",
            en="The file must be at most 10 MB.",
        )
    media_type = sniff_media_type(content[:16])
    if media_type is None:
        raise Problem(
            415,
            "document.unsupported_type",
            ja="JPEG、PNG、PDFのファイルのみ受け付けます。",
            en="Only JPEG, PNG and PDF files are accepted.",
        )
    async with ctx.runtime.uow() as uow:
        member = await uow.session.get(Member, uuid.UUID(member_id))
        if member is None or member.entity_type != "sole_proprietor":
            raise Problem(
                403,
                "document.sole_proprietor_only",
                ja="本人確認書類は個人事業主の会員のみ提出できます。",
                en="Only sole proprietors submit identity documents.",
            )
        document = IdentityDocument(
            member_id=member.id,
            document_type=document_type,
            content_type=media_type,
            size_bytes=len(content),
        )
        uow.session.add(document)
        await uow.session.flush()
        # The file first: a crash leaves an orphan file, never a record without one.
        await store_of(ctx).put(document.id, content)
        await uow.commit()
        return {**view(document), "warning": MY_NUMBER_WARNING}


async def list_own(ctx: IdentityContext, *, member_id: str) -> list[dict[str, Any]]:
    """The member's documents with their review state, newest first."""
    async with ctx.runtime.uow() as uow:
        rows = await uow.session.execute(
            sa.select(IdentityDocument)
            .where(col(IdentityDocument.member_id) == uuid.UUID(member_id))
            .order_by(col(IdentityDocument.uploaded_at).desc())
        )
        return [view(d) for d in rows.scalars()]


async def list_by_status(ctx: IdentityContext, *, status: str) -> list[dict[str, Any]]:
    """Documents in ``status`` for ops, oldest first."""
    async with ctx.runtime.uow() as uow:
        rows = await uow.session.execute(
            sa.select(IdentityDocument)
            .where(col(IdentityDocument.status) == status)
            .order_by(col(IdentityDocument.uploaded_at))
            .limit(200)
        )
        return [view(d) for d in rows.scalars()]


async def file_for_ops(
    ctx: IdentityContext, *, document_id: uuid.UUID, actor: str
) -> tuple[bytes, str]:
    """The decrypted file and its media type; the viewing is audited (R29)."""
    async with ctx.runtime.uow() as uow:
        document = await uow.session.get(IdentityDocument, document_id)
        if document is None or document.file_deleted_at is not None:
            raise _not_found()
        uow.audit(actor=actor, action="document.viewed", target=f"document:{document_id}")
        content = await store_of(ctx).get(document_id)
        await uow.commit()
        return content, document.content_type


async def review(
    ctx: IdentityContext,
    *,
    document_id: uuid.UUID,
    decision: Literal["approved", "rejected"],
    reason: str | None,
    actor: str,
) -> dict[str, Any]:
    """Approve or reject a pending document; audited and published."""
    if decision == "rejected" and not reason:
        raise Problem(
            422,
            "document.reason_required",
            ja="却下の理由を入力してください。",
            en="A rejection needs the reason shown to the member.",
            errors=[{"field": "body.reason", "code": "missing", "message": "required"}],
        )
    async with ctx.runtime.uow() as uow:
        document = await uow.session.get(IdentityDocument, document_id, with_for_update=True)
        if document is None:
            raise _not_found()
        if document.status != "pending":
            raise Problem(
                409,
                "document.already_reviewed",
                ja="この書類は審査済みです。",
                en="This document has already been reviewed.",
            )
        document.status = decision
        document.reason = reason if decision == "rejected" else None
        document.reviewed_at = system_clock()
        document.reviewed_by = actor
        document.version += 1
        uow.audit(
            actor=actor,
            action=f"document.{decision}",
            target=f"document:{document_id}",
            reason=reason,
        )
        uow.publish(
            DocumentReviewed(
                document_id=document.id,
                member_id=document.member_id,
                document_type=document.document_type,
                decision=decision,
                reason=document.reason,
                reviewed_at=document.reviewed_at,
                aggregate_version=document.version,
            )
        )
        await uow.commit()
        return view(document)


async def purge_reviewed_files(ctx: IdentityContext) -> int:
    """Delete files reviewed more than the retention period ago; records are kept."""
    horizon = system_clock() - timedelta(days=ctx.settings.document_retention_days)
    async with ctx.runtime.uow() as uow:
        rows = await uow.session.execute(
            sa.select(IdentityDocument)
            .where(
                col(IdentityDocument.reviewed_at) < horizon,
                col(IdentityDocument.file_deleted_at).is_(None),
            )
            .with_for_update(skip_locked=True)
            .limit(500)
        )
        documents = list(rows.scalars())
        for document in documents:
            await store_of(ctx).delete(document.id)
            document.file_deleted_at = system_clock()
        await uow.commit()
        return len(documents)
