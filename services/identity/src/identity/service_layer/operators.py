"""Operator accounts: created by a management command, never by self-registration (R29)."""

from __future__ import annotations

import argparse
import asyncio

from email_validator import EmailNotValidError, validate_email

from identity.adapters.tables import Member
from identity.config import Settings
from identity.domain.rules import check_password
from identity.service_layer.accounts import _by_login_id
from identity.service_layer.context import IdentityContext
from servicekit.runtime import Runtime


async def create_operator(ctx: IdentityContext, *, email: str, password: str) -> bool:
    """Create an active operator; False when the login ID already exists."""
    login_id = validate_email(email, check_deliverability=False).normalized.lower()
    check_password(password, email=login_id)
    password_hash = await ctx.passwords.hash(password)
    async with ctx.runtime.uow() as uow:
        if await _by_login_id(uow, login_id) is not None:
            return False
        uow.session.add(
            Member(
                login_id=login_id,
                password_hash=password_hash,
                kind="ops",
                status="active",
                name="operator",
                contact_email=login_id,
            )
        )
        uow.audit(actor="cli", action="ops.account_created", target=login_id)
        await uow.commit()
    return True


async def seed(runtime: Runtime) -> None:
    """Local mode: the demo operator from BIZMALL_DEMO_OPS_EMAIL / _PASSWORD (idempotent)."""
    ctx = IdentityContext.of(runtime)
    await create_operator(
        ctx, email=ctx.settings.demo_ops_email, password=ctx.settings.demo_ops_password
    )


def create_ops_command(argv: list[str]) -> int:
    """`python -m identity create-ops --email … --password …`."""
    parser = argparse.ArgumentParser(prog="python -m identity create-ops")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    from identity.bootstrap import SERVICE

    async def run() -> bool:
        runtime = SERVICE.runtime(Settings())
        try:
            return await create_operator(
                IdentityContext.of(runtime), email=args.email, password=args.password
            )
        finally:
            await runtime.close()

    try:
        created = asyncio.run(run())
    except (ValueError, EmailNotValidError) as exc:
        print(f"refused: {exc}")
        return 2
    print("operator created" if created else "an account with this login ID already exists")
    return 0 if created else 1
