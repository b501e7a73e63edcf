"""Request and answer bodies of identity's HTTP API; validators apply the domain rules.

Every route answers one of the models below (or nothing, 204).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from email_validator import EmailNotValidError, validate_email
from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bizmall_events.identity import BlockingItem, DocumentType
from identity.adapters import qr_codes
from identity.domain import rules
from identity.domain.directory import DirectoryEntry
from identity.domain.documents import MY_NUMBER_WARNING, IdentityDocument
from identity.domain.member import Member, Registration, TotpEnrollment
from identity.domain.withdrawal import WithdrawalRequest
from identity.service_layer.directory import MemberRecord
from identity.service_layer.documents import ReviewItem
from identity.service_layer.sessions import OpsChallenge, Session
from identity.service_layer.withdrawal_desk import DeskItem


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegistrationBody(_Body):
    """POST /auth/register (R2, R5)."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)
    name: str = Field(min_length=1, max_length=200)
    entity_type: Literal["corporation", "sole_proprietor"]
    corporate_number: str | None = Field(default=None, max_length=32, validate_default=True)
    organization_name: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(max_length=16)
    address: str = Field(min_length=1, max_length=500)
    phone: str = Field(max_length=32)
    accept_privacy_policy: bool
    name_kana: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email_syntax(cls, value: str) -> str:
        return _email(value)

    @field_validator("password")
    @classmethod
    def _password_policy(cls, value: str, info: ValidationInfo) -> str:
        return rules.check_password(value, email=info.data.get("email"))

    @field_validator("corporate_number")
    @classmethod
    def _corporate_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        entity_type = info.data.get("entity_type")
        if entity_type == "corporation":
            if not value:
                raise ValueError("a corporation gives its 13-digit corporate number")
            return rules.check_corporate_number(value)
        if entity_type == "sole_proprietor" and value:
            raise ValueError("a sole proprietor has no corporate number")
        return value

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str) -> str:
        return rules.check_postal_code(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return rules.check_phone(value)

    @field_validator("name_kana")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return rules.check_name_kana(value) if value else None

    @field_validator("accept_privacy_policy")
    @classmethod
    def _accepted(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("the privacy policy must be accepted")
        return value

    def registration(self) -> Registration:
        """What the member registers (everything but the password and the consent flag)."""
        return Registration(**self.model_dump(exclude={"password", "accept_privacy_policy"}))


class TokenBody(_Body):
    token: str = Field(min_length=1, max_length=200)


class EmailBody(_Body):
    email: str = Field(max_length=320)


class LoginBody(_Body):
    login_id: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=rules.MAX_PASSWORD_LENGTH)


class TotpBody(_Body):
    challenge_token: str = Field(min_length=1, max_length=200)
    code: str = Field(pattern=r"^\d{6}$")


class RefreshBody(_Body):
    refresh_token: str | None = Field(default=None, max_length=200)


class ResetConfirmBody(_Body):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)


class PasswordChangeBody(_Body):
    current_password: str = Field(min_length=1, max_length=rules.MAX_PASSWORD_LENGTH)
    new_password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)


class ProfilePatch(_Body):
    """PATCH /me (R9): only the fields given change; the login ID is not among them (R8)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_kana: str | None = Field(
        default=None, max_length=200, description="Katakana reading; null clears it (R5)."
    )
    organization_name: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=16)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    phone: str | None = Field(default=None, max_length=32)
    language: Literal["ja", "en"] | None = None
    contact_email: str | None = Field(default=None, max_length=320)

    @field_validator("contact_email")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        return _email(value) if value is not None else None

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str | None) -> str | None:
        return rules.check_postal_code(value) if value is not None else None

    @field_validator("name_kana")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return rules.check_name_kana(value) if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return rules.check_phone(value) if value is not None else None

    @field_validator(
        "name",
        "organization_name",
        "postal_code",
        "address",
        "phone",
        "language",
        "contact_email",
        mode="before",
    )
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null would erase a value the member must have.
        if value is None:
            raise ValueError("this field cannot be emptied; leave it out to keep it")
        return value


class ReviewBody(BaseModel):
    """POST /ops/identity/documents/{id}/review (R12)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, max_length=1000)


# --- answers -------------------------------------------------------------------------


class StatusAnswer(BaseModel):
    """An answer that only says what happened (``accepted``, ``verified``, ...)."""

    status: Literal["accepted", "verified", "password_changed"]


class TokenAnswer(BaseModel):
    """A login or refresh answer."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str | None = None

    @classmethod
    def of(cls, session: Session) -> TokenAnswer:
        return cls(
            access_token=session.access_token,
            expires_in=session.expires_in,
            refresh_token=session.refresh_token,
        )


class TotpEnrollmentAnswer(BaseModel):
    """An operator's first login (or the first after a reset): the secret to enrol,
    its ``otpauth://`` URI and that URI as a QR code made locally (R29)."""

    secret: str = Field(description="The base32 TOTP secret, for typing in by hand.")
    provisioning_uri: str = Field(description="The `otpauth://totp/...` URI.")
    qr_code: str = Field(
        description="`provisioning_uri` as a QR code: a `data:image/png;base64,...` URI."
    )

    @classmethod
    def of(cls, enrollment: TotpEnrollment) -> TotpEnrollmentAnswer:
        return cls(
            secret=enrollment.secret,
            provisioning_uri=enrollment.provisioning_uri,
            qr_code=qr_codes.png_data_uri(enrollment.provisioning_uri),
        )


class OpsChallengeAnswer(BaseModel):
    """An operator's login after the password: the TOTP code must follow (R29);
    ``totp_enrollment`` only at the first login."""

    mfa_required: Literal[True] = True
    totp_enrollment: TotpEnrollmentAnswer | None = None
    challenge_token: str
    expires_in: int

    @classmethod
    def of(cls, challenge: OpsChallenge) -> OpsChallengeAnswer:
        enrollment = challenge.totp_enrollment
        return cls(
            challenge_token=challenge.challenge_token,
            expires_in=challenge.expires_in,
            totp_enrollment=(
                TotpEnrollmentAnswer.of(enrollment) if enrollment is not None else None
            ),
        )


class MemberView(BaseModel):
    """The member's own profile as My Page shows it (R8, R9)."""

    id: uuid.UUID
    login_id: str
    status: str
    entity_type: str | None
    corporate_number: str | None
    name: str
    name_kana: str | None
    organization_name: str
    department: str | None
    postal_code: str
    address: str
    phone: str
    language: str
    contact_email: str
    pending_contact_email: str | None
    privacy_policy_version: str | None
    privacy_policy_accepted_at: datetime | None
    version: int

    @classmethod
    def of(cls, member: Member) -> MemberView:
        return cls.model_validate(member, from_attributes=True)


class MyNumberWarning(BaseModel):
    """Never send the back of a My Number card (R12), in both languages."""

    ja: str = MY_NUMBER_WARNING["ja"]
    en: str = MY_NUMBER_WARNING["en"]


class DocumentView(BaseModel):
    """A document's record as its owner and ops see it (never the file)."""

    id: uuid.UUID
    member_id: uuid.UUID
    document_type: str
    content_type: str
    size_bytes: int
    status: str
    reason: str | None
    uploaded_at: datetime | None
    reviewed_at: datetime | None
    file_deleted: bool

    @classmethod
    def of(cls, document: IdentityDocument) -> DocumentView:
        return cls.model_validate(document, from_attributes=True)


class UploadedDocument(DocumentView):
    warning: MyNumberWarning = Field(default_factory=MyNumberWarning)

    @classmethod
    def of(cls, document: IdentityDocument) -> UploadedDocument:
        return cls.model_validate(document, from_attributes=True)


class DocumentList(BaseModel):
    items: list[DocumentView]
    next_cursor: str | None = None


class MyDocuments(DocumentList):
    warning: MyNumberWarning = Field(default_factory=MyNumberWarning)


class WithdrawalView(BaseModel):
    """A withdrawal request as the member and ops see it: ``status`` is SPEC §2's
    (``pending``, ``refused``, ``withdrawn``); ``stage`` tells a pending request still
    waiting for ordering's check (``checking_orders``) from one awaiting ops."""

    id: uuid.UUID
    member_id: uuid.UUID
    status: str
    stage: str | None
    blocking_items: list[BlockingItem]
    reason: str | None
    requested_at: datetime | None
    decided_at: datetime | None

    @classmethod
    def of(cls, request: WithdrawalRequest) -> WithdrawalView:
        return cls(
            id=request.id,
            member_id=request.member_id,
            status=request.public_status,
            stage=request.stage,
            blocking_items=list(request.blocking_items),
            reason=request.reason,
            requested_at=request.requested_at,
            decided_at=request.decided_at,
        )


# --- ops: customer directory (R30) and withdrawal desk (R33) ---------------------------


class RefusalBody(_Body):
    """POST /ops/identity/withdrawals/{id}/refuse: the reason the member is emailed."""

    reason: str = Field(min_length=1, max_length=1000)


class MemberEntryView(BaseModel):
    """A member as the directory lists them and as ops lists name them."""

    id: uuid.UUID
    status: str
    entity_type: str | None
    organization_name: str
    name: str
    name_kana: str | None
    corporate_number: str | None
    login_id: str
    contact_email: str
    phone: str
    registered_at: datetime

    @classmethod
    def of(cls, entry: DirectoryEntry) -> MemberEntryView:
        return cls.model_validate(entry, from_attributes=True)


class MemberDirectoryPage(BaseModel):
    items: list[MemberEntryView]
    next_cursor: str | None


class OpsMemberView(MemberView):
    """A member's record for ops: profile, status, registration and policy
    acceptance, the latest identity document and the latest withdrawal request."""

    registered_at: datetime | None
    verified_at: datetime | None
    identity_document: DocumentView | None
    withdrawal: WithdrawalView | None

    @classmethod
    def of_record(cls, record: MemberRecord) -> OpsMemberView:
        member = record.member
        document, request = record.latest_document, record.latest_withdrawal
        return cls.model_validate(
            {
                **MemberView.of(member).model_dump(),
                "registered_at": member.created_at,
                "verified_at": member.verified_at,
                "identity_document": DocumentView.of(document) if document else None,
                "withdrawal": WithdrawalView.of(request) if request else None,
            }
        )


class DeskWithdrawalView(WithdrawalView):
    """A request on the withdrawal desk: its member, who decided it, and what blocks
    it now (``current_blockers``: null once decided or when ordering did not answer)."""

    decided_by: str | None
    member: MemberEntryView | None
    current_blockers: list[BlockingItem] | None

    @classmethod
    def of_item(cls, item: DeskItem) -> DeskWithdrawalView:
        blockers = item.current_blockers
        return cls.model_validate(
            {
                **WithdrawalView.of(item.request).model_dump(),
                "decided_by": item.request.decided_by,
                "member": MemberEntryView.of(item.member) if item.member else None,
                "current_blockers": list(blockers) if blockers is not None else None,
            }
        )


class WithdrawalList(BaseModel):
    items: list[DeskWithdrawalView]
    next_cursor: str | None


class OpsDocumentView(DocumentView):
    """A document in the ops review list with who sent it (R30: the organization and
    the person; null only for a member record that is gone)."""

    member: MemberEntryView | None

    @classmethod
    def of_item(cls, item: ReviewItem) -> OpsDocumentView:
        return cls.model_validate(
            {
                **DocumentView.of(item.document).model_dump(),
                "member": MemberEntryView.of(item.member) if item.member else None,
            }
        )


class OpsDocumentList(BaseModel):
    items: list[OpsDocumentView]
    next_cursor: str | None = None


class OperatorView(BaseModel):
    """An operator as the ops console lists them (R29): never the secret."""

    id: uuid.UUID
    login_id: str
    totp_enrolled: bool = Field(
        description="False until the operator completes a login with a code (again after a reset)."
    )
    created_at: datetime | None

    @classmethod
    def of(cls, operator: Member) -> OperatorView:
        return cls.model_validate(operator, from_attributes=True)


class OperatorList(BaseModel):
    items: list[OperatorView]


class Jwk(BaseModel):
    """A public Ed25519 signing key."""

    model_config = ConfigDict(extra="allow")

    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    keys: list[Jwk]


class UploadForm(BaseModel):
    """POST /me/identity-documents (multipart), read only once the member may upload."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    document_type: DocumentType
    file: UploadFile = Field(description="JPEG, PNG or PDF, at most 10 MB")

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        """The request body as OpenAPI documents it (the route reads the form itself)."""
        return {
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["document_type", "file"],
                            "properties": {
                                "document_type": {
                                    "type": "string",
                                    "enum": list(get_args(DocumentType)),
                                },
                                "file": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "JPEG, PNG or PDF, at most 10 MB",
                                },
                            },
                        }
                    }
                },
            }
        }
