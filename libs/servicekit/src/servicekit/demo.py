"""The demo data's shared names: who the demo member is and which demo services exist.

Local mode and Compose load demo data so that a newcomer's first look at My Page and
the ops console is a real one (``python -m <service> seed``). Each service seeds only
its own database, through its own handlers, so every event flows as in real use:
identity creates the demo member, catalog the lineup, ordering the member's orders
and contracts (dated in the past with the unit of work's clock), billing bills the
months those contracts ran and records a payment, notification an answered inquiry.
The seeds agree on ids through this module, the one place that names them.

``BIZMALL_DEMO_MEMBER_EMAIL`` set to the empty string leaves the demo member out
(the test stacks do, so their own members are the only ones).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

#: The fixed id of the demo member (identity creates it with this id).
DEMO_MEMBER_ID = uuid.UUID("d3e0d3e0-0000-4000-8000-00000000de30")
DEFAULT_DEMO_MEMBER_EMAIL = "demo@bizmall.example"
DEFAULT_DEMO_MEMBER_PASSWORD = "demo-member-password-2024"
#: The actor the seeds record in the audit trail.
SEED_ACTOR = "seed"

_LINEUP_NAMESPACE = uuid.UUID("0b6d2b8e-3c38-4f43-b7b4-4a8f8b8f2c55")


def demo_service_id(slug: str) -> uuid.UUID:
    """The fixed id of the demo lineup's service ``slug``."""
    return uuid.uuid5(_LINEUP_NAMESPACE, f"service:{slug}")


def demo_plan_id(slug: str, code: str) -> uuid.UUID:
    """The fixed id of the plan ``code`` of the demo service ``slug``."""
    return uuid.uuid5(_LINEUP_NAMESPACE, f"plan:{slug}:{code}")


def demo_member_email(environ: dict[str, str] | None = None) -> str:
    """The demo member's email (= login ID); empty when the demo member is left out."""
    env = os.environ if environ is None else environ
    return env.get("BIZMALL_DEMO_MEMBER_EMAIL", DEFAULT_DEMO_MEMBER_EMAIL).strip()


def demo_member_wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether the seeds load the demo member and their records."""
    return demo_member_email(environ) != ""


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, timeout: float, interval: float = 0.5
) -> bool:
    """Poll ``check`` until it answers True (True) or ``timeout`` seconds pass (False).

    A seed that needs another service's event (a member copy, a contract) waits for it
    here rather than failing: the events are on their way through the outbox.
    """
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
