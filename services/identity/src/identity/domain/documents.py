"""Identity documents of sole proprietors (R12): accepted by content, never by file
name; reviewed by ops once; the file deleted after the retention period."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bizmall_events.identity import DocumentReviewed
from identity.domain.errors import (
    DocumentAlreadyReviewed,
    DocumentExpired,
    DocumentTooLarge,
    RejectionReasonRequired,
    SoleProprietorsOnly,
    TooManyPendingDocuments,
    UnsupportedDocumentType,
)
from identity.domain.member import Member
from servicekit.aggregate import Aggregate

Decision = Literal["approved", "rejected"]

#: Leading bytes of each accepted format → its media type.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)

#: Shown with every upload form and answer: the back of a My Number card holds the
#: individual number, which the mall must never receive.
MY_NUMBER_WARNING = {
    "ja": "マイナンバーカードの裏面（個人番号が記載された面）は絶対に送信しないでください。",
    "en": "Never send the back of a My Number card (the side showing the individual number).",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type ``head`` starts with, if it is a JPEG, PNG or PDF."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def accepted_media_type(head: bytes, size: int, *, max_bytes: int) -> str:
    """The media type of an acceptable upload of ``size`` bytes starting with ``head``:
    at most ``max_bytes``, JPEG, PNG or PDF."""
    if size > max_bytes:
        raise DocumentTooLarge()
    media_type = sniff_media_type(head[:16])
    if media_type is None:
        raise UnsupportedDocumentType()
    return media_type


def check_uploader(member: Member | None, *, pending: int, max_pending: int) -> None:
    """Whether ``member`` may send a document now: a sole proprietor with fewer than
    ``max_pending`` documents waiting for review. Checked before the file is read."""
    if member is None or member.entity_type != "sole_proprietor":
        raise SoleProprietorsOnly()
    if pending >= max_pending:
        raise TooManyPendingDocuments(max_pending)


def check_rejection_reason(decision: Decision, reason: str | None) -> None:
    """A rejection names the reason the member is shown."""
    if decision == "rejected" and not reason:
        raise RejectionReasonRequired()


@dataclass(eq=False)
class IdentityDocument(Aggregate):
    """A sole proprietor's identity document; the record outlives its file."""

    member_id: uuid.UUID
    document_type: str
    content_type: str
    size_bytes: int
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    status: str = "pending"
    reason: str | None = None
    version: int = 1
    uploaded_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    file_deleted_at: datetime | None = None

    @classmethod
    def upload(
        cls,
        member: Member | None,
        *,
        document_id: uuid.UUID,
        document_type: str,
        head: bytes,
        size_bytes: int,
        max_bytes: int,
        pending: int,
        max_pending: int,
        now: datetime,
    ) -> IdentityDocument:
        """A pending document of ``member``, who must be a sole proprietor with room in
        the review queue; the file (``size_bytes`` starting with ``head``) is already stored."""
        check_uploader(member, pending=pending, max_pending=max_pending)
        assert member is not None
        media_type = accepted_media_type(head, size_bytes, max_bytes=max_bytes)
        return cls(
            id=document_id,
            member_id=member.id,
            document_type=document_type,
            content_type=media_type,
            size_bytes=size_bytes,
            uploaded_at=now,
        )

    @property
    def file_deleted(self) -> bool:
        return self.file_deleted_at is not None

    def review(self, decision: Decision, *, reason: str | None, actor: str, now: datetime) -> None:
        """Approve or reject (with the reason) a pending document."""
        check_rejection_reason(decision, reason)
        if self.status != "pending":
            raise DocumentAlreadyReviewed()
        if self.file_deleted:
            raise DocumentExpired()
        self.status = decision
        self.reason = reason if decision == "rejected" else None
        self.reviewed_at = now
        self.reviewed_by = actor
        self.version += 1
        self.record(
            DocumentReviewed.model_validate(
                {
                    "document_id": self.id,
                    "member_id": self.member_id,
                    "document_type": self.document_type,
                    "decision": decision,
                    "reason": self.reason,
                    "reviewed_at": now,
                    "aggregate_version": self.version,
                }
            )
        )

    def due_for_deletion(self, *, now: datetime, retention_days: int) -> bool:
        """Whether the file was reviewed more than the retention period ago and still exists."""
        return (
            self.reviewed_at is not None
            and self.reviewed_at < now - timedelta(days=retention_days)
            and not self.file_deleted
        )

    def file_removed(self, *, now: datetime) -> None:
        self.file_deleted_at = now
