"""The member aggregate (members and operators): registration, verification, login
checks, profile and contact email, password, withdrawal (R2, R4–R11, R29).

Each transition checks the current state and records the integration event it
causes; the unit of work writes those events to the outbox with the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pyotp

from bizmall_events.identity import (
    MemberEmailChangeRequested,
    MemberProfile,
    MemberProfileChanged,
    MemberRegistered,
    MemberVerified,
    PasswordResetRequested,
)
from identity.domain.errors import (
    AccountWithdrawn,
    EmailUnverified,
    FieldsInvalid,
    LinkTokenRefused,
    OperatorNotFound,
    OwnSecondFactor,
    SessionInvalid,
    TotpInvalid,
)
from identity.domain.rules import check_password
from servicekit.aggregate import Aggregate

PENDING, ACTIVE, WITHDRAWN = "pending_verification", "active", "withdrawn"
MEMBER, OPS = "member", "ops"

#: Profile fields a member may change in My Page (R9); never the login ID (R8).
EDITABLE_FIELDS = (
    "name",
    "name_kana",
    "organization_name",
    "department",
    "postal_code",
    "address",
    "phone",
    "language",
)


def normalised_login_id(login_id: str) -> str:
    """Login IDs are compared trimmed and lower-cased."""
    return login_id.strip().lower()


@dataclass(frozen=True)
class Registration:
    """What a registration form gives (R5), already checked field by field."""

    email: str
    name: str
    entity_type: Literal["corporation", "sole_proprietor"]
    organization_name: str
    postal_code: str
    address: str
    phone: str
    corporate_number: str | None = None
    name_kana: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class TotpEnrollment:
    """An operator's new TOTP secret and the URI an authenticator app scans."""

    secret: str
    provisioning_uri: str


@dataclass(eq=False)
class Member(Aggregate):
    """A member or an operator. ``login_id`` is the sign-up email and never changes (R8)."""

    login_id: str
    password_hash: str
    name: str
    contact_email: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    kind: str = MEMBER
    status: str = PENDING
    version: int = 1
    entity_type: str | None = None
    corporate_number: str | None = None
    name_kana: str | None = None
    organization_name: str = ""
    department: str | None = None
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    pending_contact_email: str | None = None
    language: str = "ja"
    privacy_policy_version: str | None = None
    privacy_policy_accepted_at: datetime | None = None
    totp_secret: str | None = None
    totp_enrolled: bool = False
    created_at: datetime | None = None
    verified_at: datetime | None = None

    # --- creation -----------------------------------------------------------------

    @classmethod
    def register(
        cls,
        registration: Registration,
        *,
        password_hash: str,
        privacy_policy_version: str,
        now: datetime,
    ) -> Member:
        """An unverified member who accepted ``privacy_policy_version`` now (R2, R5)."""
        return cls(
            login_id=normalised_login_id(registration.email),
            password_hash=password_hash,
            contact_email=registration.email,
            name=registration.name,
            entity_type=registration.entity_type,
            corporate_number=registration.corporate_number,
            organization_name=registration.organization_name,
            postal_code=registration.postal_code,
            address=registration.address,
            phone=registration.phone,
            name_kana=registration.name_kana,
            department=registration.department,
            privacy_policy_version=privacy_policy_version,
            privacy_policy_accepted_at=now,
            created_at=now,
        )

    @classmethod
    def operator(cls, *, login_id: str, password_hash: str, now: datetime) -> Member:
        """An active operator (created by a command, never by registration, R29)."""
        return cls(
            login_id=normalised_login_id(login_id),
            password_hash=password_hash,
            kind=OPS,
            status=ACTIVE,
            name="operator",
            contact_email=login_id,
            created_at=now,
        )

    # --- the login ID (R8) ------------------------------------------------------------

    @property
    def holds_login_id(self) -> bool:
        """Whether this account keeps its login ID from others: every account but a
        withdrawn one. Withdrawal releases it for a new registration (R8: a new login ID
        is had by withdrawing and registering again, and so is the same one); the
        withdrawn account keeps its id, its records and its login ID as history."""
        return self.status != WITHDRAWN

    # --- registration (R6) ----------------------------------------------------------

    @property
    def awaiting_verification(self) -> bool:
        return self.status == PENDING

    def send_verification(self, *, sealed_token: str, expires_at: datetime) -> None:
        """Ask notification to email a (new) verification link."""
        if not self.awaiting_verification:
            raise LinkTokenRefused("used")
        self.record(
            MemberRegistered(
                member_id=self.id,
                aggregate_version=self.version,
                contact_email=self.contact_email,
                language=self.language,
                name=self.name,
                sealed_verification_token=sealed_token,
                token_expires_at=expires_at,
            )
        )

    def verify(self, *, now: datetime) -> None:
        """The verification link was opened: the account can be used at once (R6)."""
        if not self.awaiting_verification:
            raise LinkTokenRefused("used")
        self.status = ACTIVE
        self.verified_at = now
        self.version += 1
        self.record(
            MemberVerified(
                member_id=self.id, aggregate_version=self.version, profile=self.profile()
            )
        )

    # --- login and sessions (R4, R6, R11, R29) --------------------------------------

    def check_may_log_in(self) -> None:
        """Refuse a login with the right password to an unverified or withdrawn account."""
        if self.status == PENDING:
            raise EmailUnverified()
        if self.status == WITHDRAWN:
            raise AccountWithdrawn()

    def check_session(self) -> None:
        """Refuse a token or session of a withdrawn account: the token may outlive the
        withdrawal by its lifetime, the account may not (R11)."""
        if self.status == WITHDRAWN:
            raise SessionInvalid()

    @property
    def is_operator(self) -> bool:
        return self.kind == OPS

    def claims(self, roles: list[str], family: uuid.UUID) -> dict[str, Any]:
        """The access token's claims for a session of ``family`` with ``roles``."""
        return {
            "sub": str(self.id),
            "roles": roles,
            "entity_type": self.entity_type,
            "email_verified": self.status == ACTIVE,
            "sid": str(family),
        }

    def start_totp_enrollment(self, *, issuer: str) -> TotpEnrollment | None:
        """A new TOTP secret for an operator who has not completed a TOTP login yet
        (the caller seals it with :meth:`keep_totp_secret`); None once enrolled."""
        if not self.is_operator or self.totp_enrolled:
            return None
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=self.login_id, issuer_name=issuer)
        return TotpEnrollment(secret=secret, provisioning_uri=uri)

    def keep_totp_secret(self, sealed_secret: str) -> None:
        self.totp_secret = sealed_secret

    def sealed_totp_secret(self) -> str:
        """The sealed TOTP secret of an operator; ``TotpInvalid`` for anyone else."""
        if not self.is_operator or self.totp_secret is None:
            raise TotpInvalid()
        return self.totp_secret

    def complete_totp_login(self) -> None:
        """A correct code was given: the secret is enrolled for good."""
        self.totp_enrolled = True

    def enrol_totp_out_of_band(self, *, issuer: str) -> TotpEnrollment:
        """Enrol a new operator's second factor where only the operator sees it (the
        terminal of ``python -m identity create-operator``): the first login then asks
        for a code at once and never shows the secret on the web. The caller seals the
        secret with :meth:`keep_totp_secret`."""
        enrollment = self.start_totp_enrollment(issuer=issuer)
        if enrollment is None:
            raise ValueError("only an operator without a second factor enrols one")
        self.totp_enrolled = True
        return enrollment

    def reset_second_factor(self, *, by: uuid.UUID) -> None:
        """Another operator resets this operator's lost second factor: the secret is
        forgotten and the next login enrols a new one (R29). Nobody resets their own
        this way (an attacker holding one password must not swap the second factor)."""
        if not self.is_operator:
            raise OperatorNotFound()
        if by == self.id:
            raise OwnSecondFactor()
        self.totp_secret = None
        self.totp_enrolled = False

    # --- passwords (R5, R9, R10) ------------------------------------------------------

    def check_new_password(self, password: str) -> None:
        """The password rules, applied to a new password of this member."""
        try:
            check_password(password, email=self.login_id)
            if password.lower() == self.contact_email.lower():
                raise ValueError("the password must not be the email address")
        except ValueError as exc:
            raise FieldsInvalid([("new_password", str(exc))]) from None

    def change_password_hash(self, password_hash: str) -> None:
        self.password_hash = password_hash

    @property
    def may_reset_password(self) -> bool:
        return self.status == ACTIVE and self.kind == MEMBER

    def request_password_reset(self, *, sealed_token: str, expires_at: datetime) -> None:
        """Ask notification to email a reset link (R10); only for an active member."""
        if not self.may_reset_password:
            raise ValueError("only an active member resets a password")
        self.record(
            PasswordResetRequested(
                member_id=self.id, sealed_reset_token=sealed_token, token_expires_at=expires_at
            )
        )

    # --- My Page (R8, R9) ---------------------------------------------------------------

    def update_profile(self, changes: Mapping[str, str | None]) -> bool:
        """Apply the editable fields among ``changes``; True when something changed."""
        changed = False
        for name, value in changes.items():
            if name in EDITABLE_FIELDS and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.version += 1
            if self.kind == MEMBER:
                self._profile_changed()
        return changed

    def wants_contact_email(self, new_email: str) -> bool:
        """Whether ``new_email`` is another address than the current contact email."""
        return new_email.lower() != self.contact_email.lower()

    def request_email_change(
        self, new_email: str, *, sealed_token: str, expires_at: datetime
    ) -> None:
        """Hold ``new_email`` until the link sent to it is opened (R9)."""
        self.pending_contact_email = new_email
        self.record(
            MemberEmailChangeRequested(
                member_id=self.id,
                new_email=new_email,
                sealed_confirmation_token=sealed_token,
                token_expires_at=expires_at,
            )
        )

    def confirm_email_change(self, new_email: str) -> None:
        """The confirmed address becomes the contact email; the login ID stays (R8)."""
        if self.pending_contact_email != new_email:
            raise LinkTokenRefused("invalid")
        self.contact_email = new_email
        self.pending_contact_email = None
        self.version += 1
        self._profile_changed()

    # --- withdrawal (R11) ------------------------------------------------------------

    def withdraw(self) -> None:
        """The account ends: it cannot log in; its records stay with other services."""
        self.status = WITHDRAWN
        self.version += 1
        self._profile_changed()

    # --- the copy other services keep -----------------------------------------------

    def profile(self) -> MemberProfile:
        """The member's state as other services copy it (sent whole)."""
        return MemberProfile.model_validate(
            {
                "status": self.status,
                "entity_type": self.entity_type,
                "name": self.name,
                "organization_name": self.organization_name,
                "department": self.department,
                "postal_code": self.postal_code,
                "address": self.address,
                "contact_email": self.contact_email,
                "language": self.language,
                "name_kana": self.name_kana,
            }
        )

    def _profile_changed(self) -> None:
        self.record(
            MemberProfileChanged(
                member_id=self.id, aggregate_version=self.version, profile=self.profile()
            )
        )
