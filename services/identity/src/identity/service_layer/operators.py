"""Operator accounts: created by a management command, never by self-registration (R29)."""

from __future__ import annotations

from email_validator import validate_email

from identity.adapters.passwords import Passwords
from identity.domain.member import Member
from identity.domain.rules import check_password
from identity.service_layer.unit_of_work import IdentityUnitOfWork


async def create_operator(
    *, uow: IdentityUnitOfWork, passwords: Passwords, email: str, password: str
) -> bool:
    """Create an active operator; False when the login ID already exists.

    ``ValueError`` (``EmailNotValidError`` included) when the email or password is refused.
    """
    login_id = validate_email(email, check_deliverability=False).normalized.lower()
    check_password(password, email=login_id)
    password_hash = await passwords.hash(password)
    async with uow:
        if await uow.members.by_login_id(login_id) is not None:
            return False
        operator = Member.operator(login_id=login_id, password_hash=password_hash, now=uow.now())
        if not await uow.members.add_unless_taken(operator):
            return False
        uow.audit(actor="cli", action="ops.account_created", target=login_id, entity="operator")
        await uow.commit()
    return True
