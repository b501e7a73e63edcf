"""Management commands of the identity service: ``create-operator`` (the first operator
on Kubernetes, second factor enrolled in the terminal), ``create-ops`` and the local seed."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys

from email_validator import EmailNotValidError

from identity.adapters import qr_codes
from identity.adapters.passwords import Passwords
from identity.config import Settings
from identity.domain.member import TotpEnrollment
from identity.service_layer.demo_member import seed_demo_member
from identity.service_layer.operators import create_operator, create_operator_enrolled
from identity.service_layer.unit_of_work import IdentityUnitOfWork, identity_uow
from servicekit.crypto import SecretBox
from servicekit.runtime import Runtime


async def seed(runtime: Runtime) -> None:
    """Local mode: the demo operator from BIZMALL_DEMO_OPS_EMAIL / _PASSWORD and the demo
    member from BIZMALL_DEMO_MEMBER_EMAIL / _PASSWORD (idempotent)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    await create_operator(
        uow=identity_uow(runtime),
        passwords=Passwords(settings),
        email=settings.demo_ops_email,
        password=settings.demo_ops_password,
    )
    await seed_demo_member(
        uow=identity_uow(runtime), passwords=Passwords(settings), settings=settings
    )


def create_ops_command(argv: list[str]) -> int:
    """`python -m identity create-ops --email … --password …` (exit 0 created,
    1 exists, 2 refused)."""
    parser = argparse.ArgumentParser(prog="python -m identity create-ops")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)

    async def run() -> bool:
        settings = Settings()
        runtime = Runtime.build(settings, uow_class=IdentityUnitOfWork)
        try:
            return await create_operator(
                uow=identity_uow(runtime),
                passwords=Passwords(settings),
                email=args.email,
                password=args.password,
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


def create_operator_command(argv: list[str]) -> int:
    """`python -m identity create-operator --email … [--password-stdin]`: an operator
    whose second factor is enrolled here and now. Prints the password (when generated),
    the TOTP secret, its ``otpauth://`` URI and a QR code to scan, once; the first web
    login asks for a code straight away. Exit 0 created, 1 exists, 2 refused."""
    parser = argparse.ArgumentParser(
        prog="python -m identity create-operator",
        description="Create an operator and enrol their authenticator app in this terminal.",
    )
    parser.add_argument("--email", required=True, help="the operator's login ID")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else one is generated)",
    )
    args = parser.parse_args(argv)
    generated = not args.password_stdin
    password = secrets.token_urlsafe(18) if generated else sys.stdin.readline().rstrip("\n")

    async def run() -> TotpEnrollment | None:
        settings = Settings()
        runtime = Runtime.build(settings, uow_class=IdentityUnitOfWork)
        try:
            return await create_operator_enrolled(
                uow=identity_uow(runtime),
                passwords=Passwords(settings),
                secret_box=SecretBox(settings.signing_key_secret),
                issuer=settings.totp_issuer,
                email=args.email,
                password=password,
            )
        finally:
            await runtime.close()

    try:
        enrollment = asyncio.run(run())
    except (ValueError, EmailNotValidError) as exc:
        print(f"refused: {exc}")
        return 2
    if enrollment is None:
        print("an account with this login ID already exists")
        return 1
    print(f"operator created: {args.email}")
    if generated:
        print(f"password (shown once): {password}")
    print("Scan this QR code with an authenticator app (or type in the secret):")
    print(qr_codes.terminal_text(enrollment.provisioning_uri))
    print(f"secret: {enrollment.secret}")
    print(f"otpauth URI: {enrollment.provisioning_uri}")
    print("Log in to the ops console with the email, the password and the app's 6-digit code.")
    return 0
