"""Identity documents (R12): members upload and see review states; ops review.

Every answer and the form warn never to send the back of a My Number card.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bizmall_events.identity import DocumentType
from identity.domain.documents import MY_NUMBER_WARNING
from identity.service_layer import documents
from identity.service_layer.context import IdentityContext
from servicekit.auth import CurrentMember, OpsOnly

member_router = APIRouter(prefix="/api/v1/me/identity-documents", tags=["identity documents"])
ops_router = APIRouter(prefix="/api/v1/ops/identity/documents", tags=["ops: identity documents"])


def _ctx(request: Request) -> IdentityContext:
    return IdentityContext.of(request.app.state.runtime)


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, max_length=1000)


@member_router.post(
    "",
    status_code=201,
    responses={
        413: {"description": "The file is over 10 MB (`document.too_large`)."},
        415: {"description": "Not a JPEG, PNG or PDF (`document.unsupported_type`)."},
    },
)
async def upload_document(
    principal: CurrentMember,
    request: Request,
    document_type: Annotated[DocumentType, Form()],
    file: Annotated[UploadFile, File(description="JPEG, PNG or PDF, at most 10 MB")],
) -> dict[str, Any]:
    """Upload an identity document (sole proprietors). Never the back of a My Number card."""
    ctx = _ctx(request)
    # One byte over the limit is enough to refuse; the rest is never read.
    content = await file.read(ctx.settings.document_max_bytes + 1)
    return await documents.upload(
        ctx, member_id=principal.subject, document_type=document_type, content=content
    )


@member_router.get("")
async def my_documents(principal: CurrentMember, request: Request) -> dict[str, Any]:
    """The member's documents and their review states (never the files)."""
    items = await documents.list_own(_ctx(request), member_id=principal.subject)
    return {"items": items, "next_cursor": None, "warning": MY_NUMBER_WARNING}


@ops_router.get("")
async def list_documents(
    ops: OpsOnly, request: Request, status: Literal["pending", "approved", "rejected"] = "pending"
) -> dict[str, Any]:
    """Documents in a review state (pending by default), oldest first."""
    return {
        "items": await documents.list_by_status(_ctx(request), status=status),
        "next_cursor": None,
    }


@ops_router.get("/{document_id}/file")
async def document_file(document_id: uuid.UUID, ops: OpsOnly, request: Request) -> Response:
    """The decrypted file, for ops only; every viewing is audited."""
    content, media_type = await documents.file_for_ops(
        _ctx(request), document_id=document_id, actor=ops.subject
    )
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})


@ops_router.post("/{document_id}/review")
async def review_document(
    document_id: uuid.UUID, body: ReviewBody, ops: OpsOnly, request: Request
) -> dict[str, Any]:
    """Approve or reject (with a reason); audited and published as identity.document.reviewed."""
    return await documents.review(
        _ctx(request),
        document_id=document_id,
        decision=body.decision,
        reason=body.reason,
        actor=ops.subject,
    )
