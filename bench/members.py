"""Verified members for the benchmarks, made the way a person makes one.

Each member registers through the gateway (a corporation, so every service is
open to it), the verification email is read from the benchmark's SMTP sink,
and its link's token is posted to ``/auth/verify-email``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.mailsink import MailSink

PASSWORD = "bench-correct-horse-battery-42"
#: A real corporate number (published by the National Tax Agency: 国税庁 itself).
CORPORATE_NUMBER = "7000012050002"


@dataclass
class Member:
    """A registered, verified member and, once logged in, its access token."""

    email: str
    password: str = PASSWORD
    access_token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of the member's session."""
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def credentials(self) -> dict[str, str]:
        """The body of ``POST /auth/login``."""
        return {"login_id": self.email, "password": self.password}


def registration(email: str) -> dict[str, Any]:
    """A valid corporation registration for ``email``."""
    return {
        "email": email,
        "password": PASSWORD,
        "name": "負荷 試験",
        "entity_type": "corporation",
        "corporate_number": CORPORATE_NUMBER,
        "organization_name": "国税庁",
        "postal_code": "100-8978",
        "address": "東京都千代田区霞が関3-1-1",
        "phone": "03-3581-4161",
        "accept_privacy_policy": True,
        "name_kana": "フカ シケン",
    }


async def _one(session: aiohttp.ClientSession, gateway: str, mail: MailSink, tag: str) -> Member:
    member = Member(email=f"bench-{tag}-{uuid.uuid4().hex[:12]}@example.co.jp")
    async with session.post(
        f"{gateway}/api/v1/auth/register", json=registration(member.email)
    ) as response:
        if response.status != 202:
            raise RuntimeError(f"register: {response.status} {await response.text()}")
    arrival = await mail.wait_for_recipient(member.email, timeout=120)
    token = arrival.token()
    if token is None:
        raise RuntimeError(f"no token in the verification mail: {arrival.text[:300]}")
    async with session.post(
        f"{gateway}/api/v1/auth/verify-email", json={"token": token}
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"verify-email: {response.status} {await response.text()}")
    return member


async def verified_members(gateway: str, mail: MailSink, count: int, tag: str) -> list[Member]:
    """``count`` new verified members (registered a few at a time)."""
    limit = asyncio.Semaphore(4)
    async with aiohttp.ClientSession() as session:

        async def bounded() -> Member:
            async with limit:
                return await _one(session, gateway, mail, tag)

        return list(await asyncio.gather(*(bounded() for _ in range(count))))


async def log_in(gateway: str, members: list[Member]) -> None:
    """Give every member an access token."""
    async with aiohttp.ClientSession() as session:
        for member in members:
            async with session.post(
                f"{gateway}/api/v1/auth/login", json=member.credentials
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"login: {response.status} {await response.text()}")
                member.access_token = (await response.json())["access_token"]
