"""Identity documents (R12): members upload and see review states; ops review.

Every answer and the form warn never to send the back of a My Number card.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from identity.api.deps import DocumentStoreDep, SettingsDep, UowDep
from identity.api.schemas import (
    DocumentView,
    MyDocuments,
    OpsDocumentList,
    OpsDocumentView,
    ReviewBody,
    UploadedDocument,
    UploadForm,
)
from identity.domain.errors import DocumentTooLarge
from identity.service_layer import documents
from servicekit.auth import CurrentMemberId, OpsOnly

#: What a multipart body may hold besides the file (boundaries, part headers, the type).
_FORM_OVERHEAD = 64 * 1024

member_router = APIRouter(prefix="/api/v1/me/identity-documents", tags=["identity documents"])
ops_router = APIRouter(prefix="/api/v1/ops/identity/documents", tags=["ops: identity documents"])


@member_router.post(
    "",
    status_code=201,
    openapi_extra=UploadForm.openapi(),
    responses={
        403: {"description": "Only sole proprietors upload (`document.sole_proprietor_only`)."},
        409: {"description": "The review queue is full (`document.too_many_pending`)."},
        413: {"description": "The file is over 10 MB (`document.too_large`)."},
        415: {"description": "Not a JPEG, PNG or PDF (`document.unsupported_type`)."},
    },
)
async def upload_document(
    request: Request,
    member_id: CurrentMemberId,
    uow: UowDep,
    store: DocumentStoreDep,
    settings: SettingsDep,
) -> UploadedDocument:
    """Upload an identity document (sole proprietors). Never the back of a My Number card.

    Who may upload is checked before the body is read; the file is then spooled to
    disk as it arrives and encrypted from there in chunks (issue 19 item 9).
    """
    await documents.check_may_upload(
        uow=uow, member_id=member_id, max_pending=settings.document_max_pending
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.document_max_bytes + _FORM_OVERHEAD:
        raise DocumentTooLarge()
    async with request.form(max_files=1, max_fields=1) as form:
        try:
            upload = UploadForm.model_validate(dict(form))
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            ) from None
        document = await documents.upload(
            uow=uow,
            store=store,
            max_bytes=settings.document_max_bytes,
            max_pending=settings.document_max_pending,
            member_id=member_id,
            document_type=upload.document_type,
            source=upload.file.file,
        )
    return UploadedDocument.of(document)


@member_router.get("")
async def my_documents(member_id: CurrentMemberId, uow: UowDep) -> MyDocuments:
    """The member's documents and their review states (never the files)."""
    items = await documents.list_own(uow=uow, member_id=member_id)
    return MyDocuments(items=[DocumentView.of(d) for d in items])


@ops_router.get("")
async def list_documents(
    ops: OpsOnly, uow: UowDep, status: Literal["pending", "approved", "rejected"] = "pending"
) -> OpsDocumentList:
    """Documents in a review state (pending by default), oldest first, each naming its
    member's organization and person (R30)."""
    items = await documents.list_by_status(uow=uow, status=status)
    return OpsDocumentList(items=[OpsDocumentView.of_item(i) for i in items])


@ops_router.get(
    "/{document_id}/file",
    response_class=Response,
    responses={
        200: {
            "content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}},
            "description": "The decrypted file.",
        }
    },
)
async def document_file(
    document_id: uuid.UUID, ops: OpsOnly, uow: UowDep, store: DocumentStoreDep
) -> Response:
    """The decrypted file, for ops only; every viewing is audited."""
    found = await documents.file_for_ops(
        uow=uow, store=store, document_id=document_id, actor=ops.subject
    )
    return Response(
        found.content, media_type=found.media_type, headers={"Cache-Control": "no-store"}
    )


@ops_router.post("/{document_id}/review")
async def review_document(
    document_id: uuid.UUID, body: ReviewBody, ops: OpsOnly, uow: UowDep
) -> DocumentView:
    """Approve or reject (with a reason); audited and published as identity.document.reviewed."""
    document = await documents.review(
        uow=uow,
        document_id=document_id,
        decision=body.decision,
        reason=body.reason,
        actor=ops.subject,
    )
    return DocumentView.of(document)
