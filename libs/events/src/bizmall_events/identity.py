"""Events published by identity: membership, documents, withdrawal (R2, R4–R12).

Consumers: notification keeps each member's contact email, language and name
from the member events and sends every member email there; ordering keeps each
member's entity type and status, and each document's review; billing keeps the
invoice recipient (organization, person, address) and the name kana bank payers
are matched by (R36).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, model_validator

from bizmall_events.aggregate import AggregateEvent
from bizmall_events.base import IntegrationEvent
from bizmall_events.values import EntityType, Language, LocalizedText, SealedToken, ValueModel

#: A member's account state: not yet verified (cannot log in), active, or withdrawn.
MemberStatus = Literal["pending_verification", "active", "withdrawn"]

#: The kinds of personal identity document a sole proprietor may submit (R12).
DocumentType = Literal[
    "drivers_license", "my_number_card_front", "passport", "residence_card", "other"
]


class MemberProfile(ValueModel):
    """A member's whole state as other services copy it.

    Sent whole in every member update, so a copy that drops stale versions is
    never left with a half-applied change.
    """

    status: MemberStatus
    entity_type: EntityType
    name: str
    organization_name: str
    department: str | None = None
    postal_code: str = Field(pattern=r"^\d{7}$")
    address: str
    contact_email: str = Field(min_length=3)
    language: Language
    #: The name's reading in katakana, when given (billing matches bank payers by it, R36).
    name_kana: str | None = None


class MemberRegistered(AggregateEvent):
    """A member registered and must verify their email (R6). identity → notification.

    Notification starts its copy of the member's contact from it and emails the
    verification link. A re-sent link publishes this event again with the
    member's current version and a fresh token: notification sends it even when
    its copy is already at that version.
    """

    TYPE: ClassVar[str] = "identity.member.registered"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"sealed_verification_token"})
    AGGREGATE_ID_FIELD: ClassVar[str] = "member_id"

    member_id: uuid.UUID
    contact_email: str = Field(min_length=3)
    language: Language
    name: str
    sealed_verification_token: SealedToken
    token_expires_at: AwareDatetime


class MemberVerified(AggregateEvent):
    """A member opened the verification link and can log in (R6).
    identity → ordering, billing (opens the billing account), notification."""

    TYPE: ClassVar[str] = "identity.member.verified"
    AGGREGATE_ID_FIELD: ClassVar[str] = "member_id"

    member_id: uuid.UUID
    profile: MemberProfile


class MemberProfileChanged(AggregateEvent):
    """A member's profile changed in My Page, a new contact email included once
    confirmed (R9). identity → ordering, billing, notification."""

    TYPE: ClassVar[str] = "identity.member.profile_changed"
    AGGREGATE_ID_FIELD: ClassVar[str] = "member_id"

    member_id: uuid.UUID
    profile: MemberProfile


class MemberEmailChangeRequested(IntegrationEvent):
    """A member asked to change the contact email (R9). identity → notification,
    which sends the confirmation link to ``new_email`` — the one email not sent
    to the current contact email. A request, not a state change: no version."""

    TYPE: ClassVar[str] = "identity.member.email_change_requested"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"sealed_confirmation_token"})

    member_id: uuid.UUID
    new_email: str = Field(min_length=3)
    sealed_confirmation_token: SealedToken
    token_expires_at: AwareDatetime


class PasswordResetRequested(IntegrationEvent):
    """A password reset was requested for an existing member (R10).
    identity → notification, which emails the link to the member's contact
    email. Published only for a known member; the HTTP answer never tells."""

    TYPE: ClassVar[str] = "identity.password_reset.requested"
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"sealed_reset_token"})

    member_id: uuid.UUID
    sealed_reset_token: SealedToken
    token_expires_at: AwareDatetime


class RegistrationAttemptedExisting(IntegrationEvent):
    """Someone tried to register with an email that is already a member's login ID.
    identity → notification, which tells that member (the registration answer
    never reveals it, R10's rule applied to sign-up)."""

    TYPE: ClassVar[str] = "identity.registration.attempted_existing"

    member_id: uuid.UUID
    attempted_at: AwareDatetime


class DocumentReviewed(AggregateEvent):
    """Ops approved or rejected a sole proprietor's identity document (R12).
    identity → ordering (releases orders awaiting documents on approval),
    notification (emails the result; on rejection the reason and a new upload)."""

    TYPE: ClassVar[str] = "identity.document.reviewed"
    AGGREGATE_ID_FIELD: ClassVar[str] = "document_id"

    document_id: uuid.UUID
    member_id: uuid.UUID
    document_type: DocumentType
    decision: Literal["approved", "rejected"]
    reason: str | None = None
    reviewed_at: AwareDatetime

    @model_validator(mode="after")
    def _rejection_has_reason(self) -> DocumentReviewed:
        if self.decision == "rejected" and not self.reason:
            raise ValueError("a rejected document needs the reason the member is shown")
        return self


class BlockingItem(ValueModel):
    """An open order or a not-yet-ended contract that blocks a withdrawal (R11)."""

    kind: Literal["order", "contract"]
    id: uuid.UUID
    service_id: uuid.UUID
    service_name: LocalizedText
    #: A contract's end date when a cancellation ending in the future is booked.
    ends_on: date | None = None


class WithdrawalDecided(AggregateEvent):
    """A withdrawal request was refused (naming what blocks it) or the member was
    withdrawn (R11). identity → ordering, billing, notification (emails the result).

    A withdrawn member's orders, invoices and other contracts stay as records.
    """

    TYPE: ClassVar[str] = "identity.withdrawal.decided"
    AGGREGATE_ID_FIELD: ClassVar[str] = "withdrawal_id"

    withdrawal_id: uuid.UUID
    member_id: uuid.UUID
    decision: Literal["refused", "withdrawn"]
    blocking_items: tuple[BlockingItem, ...] = ()
    #: Why ops refused a request that nothing blocked (shown to the member).
    reason: str | None = None

    @model_validator(mode="after")
    def _refusal_says_why(self) -> WithdrawalDecided:
        if self.decision == "refused" and not (self.blocking_items or self.reason):
            raise ValueError("a refused withdrawal names what blocks it or gives a reason")
        if self.decision == "withdrawn" and self.blocking_items:
            raise ValueError("a withdrawal with blocking items cannot be withdrawn")
        return self
