"""Operator accounts: created by a management command, never by self-registration, and
their second factor: enrolled in the creating terminal or at the first login, reset by
another operator (R29)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from email_validator import validate_email

from identity.adapters.passwords import Passwords
from identity.domain.errors import OperatorNotFound
from identity.domain.member import Member, TotpEnrollment
from identity.domain.rules import check_password
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.crypto import SecretBox


async def create_operator(
    *, uow: IdentityUnitOfWork, passwords: Passwords, email: str, password: str
) -> bool:
    """Create an active operator; False when the login ID already exists. The second
    factor is enrolled at the first login (the web shows the QR code).

    ``ValueError`` (``EmailNotValidError`` included) when the email or password is refused.
    """
    return await _create(uow, passwords, email, password) is not None


async def create_operator_enrolled(
    *,
    uow: IdentityUnitOfWork,
    passwords: Passwords,
    secret_box: SecretBox,
    issuer: str,
    email: str,
    password: str,
) -> TotpEnrollment | None:
    """Create an active operator whose second factor is enrolled now: the enrolment is
    returned for the caller's terminal alone, and the first login asks for a code at
    once. None when the login ID already exists; ``ValueError`` as :func:`create_operator`."""
    enrollment: list[TotpEnrollment] = []

    def enrol(operator: Member) -> None:
        enrollment.append(operator.enrol_totp_out_of_band(issuer=issuer))
        operator.keep_totp_secret(secret_box.seal(enrollment[0].secret))

    created = await _create(uow, passwords, email, password, enrol=enrol)
    return enrollment[0] if created is not None else None


async def _create(
    uow: IdentityUnitOfWork,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    enrol: Callable[[Member], None] | None = None,
) -> Member | None:
    login_id = validate_email(email, check_deliverability=False).normalized.lower()
    check_password(password, email=login_id)
    password_hash = await passwords.hash(password)
    async with uow:
        existing = await uow.members.by_login_id(login_id)
        if existing is not None and existing.holds_login_id:
            return None
        operator = Member.operator(login_id=login_id, password_hash=password_hash, now=uow.now())
        if enrol is not None:
            enrol(operator)
        if not await uow.members.add_unless_taken(operator):
            return None
        uow.audit(
            actor="cli",
            action="ops.account_created",
            target=login_id,
            entity="operator",
            second_factor="enrolled_in_terminal" if operator.totp_enrolled else "at_first_login",
        )
        await uow.commit()
    return operator


async def list_operators(*, uow: IdentityUnitOfWork) -> list[Member]:
    """Every operator, oldest first, with whether their second factor is enrolled."""
    async with uow:
        return await uow.members.operators()


async def reset_second_factor(
    *, uow: IdentityUnitOfWork, actor: uuid.UUID, operator_id: uuid.UUID
) -> Member:
    """Forget another operator's TOTP secret (a lost authenticator, R29): their next login
    enrols a new one, and their open sessions end. Audited; 404 for anyone who is not an
    operator, 403 for one's own."""
    async with uow:
        target = await uow.members.get(operator_id, lock=True)
        if target is None:
            raise OperatorNotFound()
        target.reset_second_factor(by=actor)
        await uow.sessions.revoke(member_id=target.id, now=uow.now())
        uow.audit(
            actor=str(actor),
            action="ops.second_factor_reset",
            target=f"member:{target.id}",
            entity="operator",
            login_id=target.login_id,
        )
        await uow.commit()
        return target
