"""Issue 19 (security hardening) through identity's HTTP API, on the real PostgreSQL and
Redis: items 1, 2, 3, 5, 6 and 9."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pyotp

from identity.domain.operators import totp_accepts

LOGIN = "/api/v1/auth/login"
TOTP = "/api/v1/auth/login/totp"
REFRESH = "/api/v1/auth/refresh"
RESEND = "/api/v1/auth/verify-email/resend"
UPLOAD = "/api/v1/me/identity-documents"
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30
#: A header every supported browser adds to its requests (R3) and no script can remove.
BROWSER = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}


async def test_issue19_item1_parallel_guesses_from_20_addresses_stay_within_the_lockout(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
    guess = {"login_id": member["body"]["email"], "password": "wrong password 123"}

    async def from_address(n: int) -> int:
        async with identity.client(ip=f"198.51.100.{n}") as attacker:
            return (await attacker.post(LOGIN, json=guess)).status_code

    statuses = await asyncio.gather(*(from_address(n) for n in range(1, 21)))
    limit = identity.settings.login_max_failures_per_account
    assert statuses.count(401) <= limit, statuses
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 20 - limit, statuses


async def _operator_challenge(identity: Any, client: Any) -> tuple[str, pyotp.TOTP]:
    email = f"ops-{uuid.uuid4().hex[:8]}@bizmall.example"
    code, output = await identity.create_ops(email, identity.password)
    assert code == 0, output
    first = await client.post(LOGIN, json={"login_id": email, "password": identity.password})
    assert first.status_code == 200, first.text
    body = first.json()
    return body["challenge_token"], pyotp.TOTP(body["totp_enrollment"]["secret"])


async def test_issue19_item2_100_parallel_wrong_codes_end_the_challenge(identity: Any) -> None:
    async with identity.client() as client:
        challenge, totp = await _operator_challenge(identity, client)
        candidates = (f"{n:06d}" for n in range(1_000_000))
        wrong = list(
            itertools.islice((c for c in candidates if not totp_accepts(totp.secret, c)), 100)
        )

        async def attempt(code: str) -> int:
            answer = await client.post(TOTP, json={"challenge_token": challenge, "code": code})
            return answer.status_code

        statuses = await asyncio.gather(*(attempt(code) for code in wrong))
        right = await client.post(TOTP, json={"challenge_token": challenge, "code": totp.now()})
    assert set(statuses) <= {401, 429}, statuses
    assert right.status_code == 401 and right.json()["code"] == "auth.totp_invalid", right.text


async def test_issue19_item3_one_resend_per_address_per_cooldown(identity: Any) -> None:
    body = identity.registration()
    async with identity.client() as client:
        await client.post("/api/v1/auth/register", json=body)
        member_id = await identity.member_id(body["email"])
        answers = [await client.post(RESEND, json={"email": body["email"]}) for _ in range(3)]
        stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        unknown = [await client.post(RESEND, json={"email": stranger}) for _ in "ab"]
    sent = [
        e
        for e in await identity.events("identity.member.registered")
        if e["member_id"] == member_id
    ]
    assert [a.status_code for a in answers] == [202, 429, 429]
    assert [a.status_code for a in unknown] == [202, 429], "R10: a stranger's address alike"
    assert answers[0].text == unknown[0].text
    refusals = {(a.json()["code"], a.headers["retry-after"]) for a in answers[1:] + unknown[1:]}
    assert len(refusals) == 1 and refusals.pop()[0] == "auth.resend_too_soon"
    assert len(sent) == 2, "the registration's link and one resend"


async def test_issue19_item5_browsers_get_the_refresh_token_in_the_cookie_only(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        credentials = {"login_id": member["body"]["email"], "password": identity.password}
        browser = await client.post(LOGIN, json=credentials, headers=BROWSER)
        refreshed = await client.post(REFRESH, headers={**BROWSER, "X-Requested-With": "bizmall"})
        api = await client.post(LOGIN, json=credentials)
        api_refreshed = await client.post(
            REFRESH, json={"refresh_token": api.json()["refresh_token"]}
        )
    assert browser.status_code == 200 and "refresh_token" not in browser.json()
    assert "bizmall_refresh=" in browser.headers["set-cookie"]
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()
    assert api.status_code == 200 and api.json()["refresh_token"]
    assert api_refreshed.status_code == 200 and api_refreshed.json()["refresh_token"]


async def test_issue19_item6_two_tabs_refreshing_at_once_keep_the_session(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        token = member["tokens"]["refresh_token"]
        tabs = await asyncio.gather(
            *(client.post(REFRESH, json={"refresh_token": token}) for _ in range(2))
        )
        assert [tab.status_code for tab in tabs] == [200, 200], [tab.text for tab in tabs]
        pairs = {(tab.json()["access_token"], tab.json()["refresh_token"]) for tab in tabs}
        assert len(pairs) == 1, "both tabs hold the same new pair"
        ((_, successor),) = pairs
        later = await client.post(REFRESH, json={"refresh_token": successor})
    assert later.status_code == 200, "the family was not revoked"


async def _sole_proprietor(identity: Any, client: Any) -> dict[str, Any]:
    return await identity.register_and_verify(
        client, entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
    )


class CountedBody:
    """A multipart upload streamed in 64 KiB pieces, counting the pieces the server read."""

    def __init__(self, size: int) -> None:
        self.boundary = uuid.uuid4().hex
        head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="document_type"\r\n\r\nother\r\n'
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="id.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.body = head + PDF + b"0" * (size - len(PDF)) + tail
        self.read = 0

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(len(self.body)),
        }

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 64 * 1024):
            self.read += 1
            yield self.body[start : start + 64 * 1024]


async def test_issue19_item9_a_corporation_s_upload_is_refused_before_it_is_read(
    identity: Any,
) -> None:
    async with identity.client() as client:
        corporation = await identity.register_and_verify(client)
        upload = CountedBody(5 * 1024 * 1024)
        answer = await client.post(
            UPLOAD, content=upload, headers={**corporation["headers"], **upload.headers}
        )
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "document.sole_proprietor_only"
    assert upload.read <= 1, f"{upload.read} pieces of 80 read before refusing"


async def test_issue19_item9_at_most_five_documents_wait_for_review(identity: Any) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)

        async def upload() -> Any:
            return await client.post(
                UPLOAD,
                headers=member["headers"],
                data={"document_type": "passport"},
                files={"file": ("id.pdf", PDF, "application/pdf")},
            )

        answers = [await upload() for _ in range(6)]
    assert [a.status_code for a in answers] == [201] * 5 + [409], [a.text for a in answers]
    assert answers[-1].json()["code"] == "document.too_many_pending"
