"""Management commands of the identity service: ``create-ops`` and the local seed."""

from __future__ import annotations

import argparse
import asyncio

from email_validator import EmailNotValidError

from identity.adapters.passwords import Passwords
from identity.config import Settings
from identity.service_layer.operators import create_operator
from identity.service_layer.unit_of_work import IdentityUnitOfWork, identity_uow
from servicekit.runtime import Runtime


async def seed(runtime: Runtime) -> None:
    """Local mode: the demo operator from BIZMALL_DEMO_OPS_EMAIL / _PASSWORD (idempotent)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    await create_operator(
        uow=identity_uow(runtime),
        passwords=Passwords(settings),
        email=settings.demo_ops_email,
        password=settings.demo_ops_password,
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
