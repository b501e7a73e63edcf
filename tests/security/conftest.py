"""One local stack (``python -m devrun``) for the security suite, with the STANDARD rate limits.

Started with the shared helper (``bizmall_testkit``: free port base, this run's
databases, exchange, queue prefix and Redis namespace, a real SMTP sink in this
process), with two differences that matter here:

- the gateway runs the default rate-limit profile, since the limits are under test;
  it trusts ``X-Forwarded-For`` from 127.0.0.1, so each simulated client (every
  member, every anonymous caller) gets an address of its own and one test's
  traffic never spends another's allowance;
- the stack's whole output is kept in a file, which the log scan reads.

Everything goes through the gateway, as a browser or API client would.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bizmall_testkit.client import Member, Stack
from bizmall_testkit.data import Credentials
from bizmall_testkit.stack import free_port_base_for, gateway_session, running_stack, stack_env
from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

CREDENTIALS = Credentials(
    ops_email="ops-security@bizmall.example",
    ops_password="security-ops-password-2024",
    member_password="Sec-member-passw0rd-2024",
)


class SecurityStack(Stack):
    """The stack, its members each calling from a client address of its own."""

    async def member(self, *, entity_type: str = "corporation", number: str = "") -> Member:
        """A new member: registered, verified by the emailed link, logged in.
        ``number``: the corporate number (two members of one company share it)."""
        return await self.register_and_login(entity_type=entity_type, corporate_number=number)


@pytest_asyncio.fixture(scope="session")
async def stack(
    infra: Infra, smtp_mailbox: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SecurityStack]:
    """The whole system, started once with ``python -m devrun`` and stopped with SIGINT
    (``smtp_mailbox``: the session's SMTP sink, see ``tests/conftest.py``)."""
    var_dir = tmp_path_factory.mktemp("devrun")
    base = free_port_base_for()
    env = await stack_env(
        infra,
        base=base,
        var_dir=var_dir,
        smtp=smtp_mailbox,
        database_hint="sec",
        credentials=CREDENTIALS,
        # The limits under test: the default profile, whatever the caller's environment says.
        rate_limit_profile="standard",
        extra={"GATEWAY_TRUSTED_PROXIES": "127.0.0.1"},
    )
    # Simulated client addresses (TEST-NET-2), one per caller.
    addresses = (
        f"198.51.{high}.{low}" for high, low in itertools.product(range(100), range(1, 255))
    )
    async with (
        running_stack(env, var_dir / "stack.log") as running,
        gateway_session(base, timeout=60) as http,
    ):
        yield SecurityStack(
            base=base,
            http=http,
            smtp=smtp_mailbox,
            env=env,
            log=running.log,
            credentials=CREDENTIALS,
            client_addresses=addresses,
        )
