"""Attacks on identity through the gateway, with the standard limits (issue 19 items 1, 2
and 9): parallel password guesses from many addresses stay within the account's
lockout, 100 wrong TOTP codes end the challenge, and 20 parallel 10 MB uploads leave
identity's memory bounded."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest

from bizmall_testkit.processes import create_operator, descendants
from identity.config import Settings as IdentitySettings
from identity.domain.operators import totp_accepts

pytestmark = pytest.mark.integration

LOGIN = "/api/v1/auth/login"
TOTP = "/api/v1/auth/login/totp"
UPLOAD = "/api/v1/me/identity-documents"
ACCOUNT_LIMIT = IdentitySettings.model_fields["login_max_failures_per_account"].default
CODES_PER_CHALLENGE = IdentitySettings.model_fields["totp_max_failures_per_challenge"].default
MAX_PENDING = IdentitySettings.model_fields["document_max_pending"].default
MAX_BYTES = IdentitySettings.model_fields["document_max_bytes"].default
RSS_CEILING = 200 * 1024 * 1024


async def test_item1_parallel_login_guesses_from_20_addresses_stay_within_the_lockout(
    stack: Any,
) -> None:
    member = await stack.member()
    guess = {"login_id": member.email, "password": "wrong-password-1234"}
    attackers = [stack.caller() for _ in range(20)]

    async def attempt(headers: dict[str, str]) -> int:
        async with stack.http.post(LOGIN, json=guess, headers=headers) as response:
            await response.read()
            return response.status

    # Three guesses from each of 20 addresses, all at once.
    statuses = await asyncio.gather(*(attempt(h) for h in attackers for _ in range(3)))

    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= ACCOUNT_LIMIT, f"{statuses.count(401)} passwords checked"
    # The account is locked now, from any address, the right password included.
    right = {"login_id": member.email, "password": stack.member_password}
    async with stack.http.post(LOGIN, json=right, headers=stack.caller()) as response:
        answer = await response.json()
    assert response.status == 429 and answer["code"] == "auth.too_many_attempts", answer


async def _new_operator(stack: Any) -> tuple[str, str]:
    return await create_operator(stack.env, tag="attack")


async def test_item2_100_wrong_totp_codes_end_the_challenge(stack: Any) -> None:
    email, password = await _new_operator(stack)
    operator = stack.caller()
    credentials = {"login_id": email, "password": password}
    async with stack.http.post(LOGIN, json=credentials, headers=operator) as response:
        challenge = await response.json()
        assert response.status == 200, challenge
    totp = pyotp.TOTP(challenge["totp_enrollment"]["secret"])
    candidates = (f"{n:06d}" for n in range(1_000_000))
    wrong = itertools.islice((c for c in candidates if not totp_accepts(totp.secret, c)), 100)

    async def attempt(code: str) -> int:
        body = {"challenge_token": challenge["challenge_token"], "code": code}
        # Each code from an address of its own: the gateway's per-address limit is no help.
        async with stack.http.post(TOTP, json=body, headers=stack.caller()) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(attempt(code) for code in wrong))
    assert set(statuses) <= {401, 429}, statuses

    body = {"challenge_token": challenge["challenge_token"], "code": totp.now()}
    async with stack.http.post(TOTP, json=body, headers=stack.caller()) as response:
        ended = await response.json()
    assert response.status == 401 and ended["code"] == "auth.totp_invalid", ended
    # The operator is not locked out by it: a new challenge with the right code works.
    async with stack.http.post(LOGIN, json=credentials, headers=operator) as response:
        fresh = await response.json()
    # Not enrolled until a first TOTP login succeeds: the new challenge brings a new secret.
    totp = pyotp.TOTP(fresh["totp_enrollment"]["secret"])
    body = {"challenge_token": fresh["challenge_token"], "code": totp.now()}
    async with stack.http.post(TOTP, json=body, headers=operator) as response:
        tokens = await response.json()
    assert response.status == 200 and "access_token" in tokens, tokens


def _identity_api_pids(stack: Any) -> list[int]:
    """The stack's identity API process and its children (its port names it)."""
    port = f"IDENTITY_PORT={stack.base + 1}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if argv[1:4] == [b"-m", b"identity", b"api"] and port in environ:
            found.append(int(entry.name))
    assert len(found) == 1, f"identity API processes on {port.decode()}: {found}"
    return [found[0], *descendants(found[0])]


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        total += int(kib) * 1024
    return total


async def test_item9_20_parallel_10mb_uploads_keep_identity_rss_under_200mb(stack: Any) -> None:
    pids = _identity_api_pids(stack)
    members = [await stack.member(entity_type="sole_proprietor") for _ in range(20 // MAX_PENDING)]
    content = b"%PDF-1.7\n" + os.urandom(MAX_BYTES - 9)
    peak = _rss(pids)
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(pids))
            await asyncio.sleep(0.02)

    async def upload(member: Any) -> int:
        form = aiohttp.FormData()
        form.add_field("document_type", "drivers_license")
        form.add_field("file", content, filename="id.pdf", content_type="application/pdf")
        async with stack.http.post(UPLOAD, data=form, headers=member.headers) as response:
            await response.read()
            return response.status

    watcher = asyncio.create_task(watch())
    try:
        statuses = await asyncio.gather(
            *(upload(member) for member in members for _ in range(MAX_PENDING))
        )
    finally:
        done.set()
        await watcher
    assert statuses == [201] * 20, statuses
    assert peak < RSS_CEILING, f"identity's RSS peaked at {peak / 2**20:.0f} MiB"
    print(f"identity RSS peak during 20 parallel 10 MB uploads: {peak / 2**20:.0f} MiB")
    # One more from a member whose documents fill the review queue is refused.
    async with stack.http.post(
        UPLOAD, data=aiohttp.FormData({"document_type": "other"}), headers=members[0].headers
    ) as response:
        problem = await response.json(content_type=None)
    assert response.status == 409 and problem["code"] == "document.too_many_pending", problem
