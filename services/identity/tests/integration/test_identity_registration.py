"""Registration, verification and re-sent links through the HTTP API (R2, R5, R6, R7, R10)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

REGISTER = "/api/v1/auth/register"


def _fields(answer: Any) -> set[str]:
    return {error["field"] for error in answer.json()["errors"]}


async def test_r5_every_bad_field_is_named(identity: Any) -> None:
    async with identity.client() as client:
        answer = await client.post(
            REGISTER,
            json=identity.registration(
                email="not-an-email",
                postal_code="12-345",
                phone="12345",
                name_kana="やまだ",
                corporate_number="7000012050003",
                accept_privacy_policy=False,
            ),
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert _fields(answer) == {
        "body.email",
        "body.postal_code",
        "body.phone",
        "body.name_kana",
        "body.corporate_number",
        "body.accept_privacy_policy",
    }


async def test_r5_password_policy(identity: Any) -> None:
    async with identity.client() as client:
        short = await client.post(REGISTER, json=identity.registration(password="short-pw"))
        common = await client.post(REGISTER, json=identity.registration(password="password1234"))
        email = "same-as-password@example.co.jp"
        same = await client.post(REGISTER, json=identity.registration(email=email, password=email))
    for answer in (short, common, same):
        assert answer.status_code == 422
        assert _fields(answer) == {"body.password"}


async def test_r5_corporate_number_check_digit_with_published_numbers(identity: Any) -> None:
    async with identity.client() as client:
        nta = await client.post(
            REGISTER, json=identity.registration(corporate_number="7000012050002")
        )
        other = await client.post(
            REGISTER, json=identity.registration(corporate_number="5010401067252")
        )
        wrong_digit = await client.post(
            REGISTER, json=identity.registration(corporate_number="5010401067253")
        )
        twelve = await client.post(
            REGISTER, json=identity.registration(corporate_number="501040106725")
        )
        missing = await client.post(REGISTER, json=identity.registration(corporate_number=None))
    assert (nta.status_code, other.status_code) == (202, 202)
    for answer in (wrong_digit, twelve, missing):
        assert answer.status_code == 422
        assert _fields(answer) == {"body.corporate_number"}


async def test_r5_sole_proprietor_has_no_corporate_number(identity: Any) -> None:
    async with identity.client() as client:
        with_number = await client.post(
            REGISTER,
            json=identity.registration(entity_type="sole_proprietor", organization_name="山田商店"),
        )
        without = await client.post(
            REGISTER,
            json=identity.registration(
                entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
            ),
        )
    assert with_number.status_code == 422
    assert _fields(with_number) == {"body.corporate_number"}
    assert without.status_code == 202


async def test_r2_registration_records_policy_and_publishes_sealed_token(identity: Any) -> None:
    body = identity.registration(postal_code="1008978", phone="+81 3-3581-4161")
    async with identity.client() as client:
        assert (await client.post(REGISTER, json=body)).status_code == 202
    member_id = await identity.member_id(body["email"])
    event = await identity.last_event_for("identity.member.registered", member_id)
    token = identity.unseal(event["sealed_verification_token"])
    assert token not in event["sealed_verification_token"]
    async with identity.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT privacy_policy_version, privacy_policy_accepted_at, postal_code,"
                    " phone, status FROM members WHERE id = :id"
                ),
                {"id": member_id},
            )
        ).one()
        stored = await conn.scalar(
            text("SELECT count(*) FROM one_time_tokens WHERE token_hash = :t"), {"t": token}
        )
    assert row[0] == identity.settings.privacy_policy_version and row[1] is not None
    assert (row[2], row[3], row[4]) == ("1008978", "0335814161", "pending_verification")
    assert stored == 0, "the token must be stored hashed, never as itself"


async def test_r10_existing_email_gets_same_answer_and_owner_is_told(identity: Any) -> None:
    body = identity.registration()
    async with identity.client() as client:
        first = await client.post(REGISTER, json=body)
        again = await client.post(
            REGISTER, json={**body, "name": "別人", "email": body["email"].upper()}
        )
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json() == again.json()
    member_id = await identity.member_id(body["email"])
    await identity.last_event_for("identity.registration.attempted_existing", member_id)
    registered = [
        e
        for e in await identity.events("identity.member.registered")
        if e["member_id"] == member_id
    ]
    assert len(registered) == 1


async def test_r6_verification_completes_registration_once(identity: Any) -> None:
    body = identity.registration()
    async with identity.client() as client:
        await client.post(REGISTER, json=body)
        member_id = await identity.member_id(body["email"])
        event = await identity.last_event_for("identity.member.registered", member_id)
        token = identity.unseal(event["sealed_verification_token"])
        before = await client.post(
            "/api/v1/auth/login", json={"login_id": body["email"], "password": identity.password}
        )
        verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
        reused = await client.post("/api/v1/auth/verify-email", json={"token": token})
        after = await client.post(
            "/api/v1/auth/login", json={"login_id": body["email"], "password": identity.password}
        )
    assert before.status_code == 403 and before.json()["code"] == "auth.email_unverified"
    assert verified.status_code == 200
    assert reused.status_code == 400 and reused.json()["code"] == "token.used"
    assert reused.json()["resend"] == "/api/v1/auth/verify-email/resend"
    assert after.status_code == 200
    verified_event = await identity.last_event_for("identity.member.verified", member_id)
    assert verified_event["aggregate_version"] == 2
    assert verified_event["profile"]["status"] == "active"
    assert verified_event["profile"]["contact_email"] == body["email"]


async def test_r6_expired_link_and_resend(identity: Any) -> None:
    body = identity.registration()
    async with identity.client() as client:
        await client.post(REGISTER, json=body)
        member_id = await identity.member_id(body["email"])
        first = identity.unseal(
            (await identity.last_event_for("identity.member.registered", member_id))[
                "sealed_verification_token"
            ]
        )
        await identity.sql(
            "UPDATE one_time_tokens SET expires_at = now() - interval '1 second'"
            " WHERE member_id = :m",
            m=member_id,
        )
        expired = await client.post("/api/v1/auth/verify-email", json={"token": first})
        resend = await client.post(
            "/api/v1/auth/verify-email/resend", json={"email": body["email"]}
        )
        unknown = await client.post(
            "/api/v1/auth/verify-email/resend",
            json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com"},
        )
        second = identity.unseal(
            (await identity.last_event_for("identity.member.registered", member_id))[
                "sealed_verification_token"
            ]
        )
        verified = await client.post("/api/v1/auth/verify-email", json={"token": second})
        bogus = await client.post("/api/v1/auth/verify-email", json={"token": "not-a-token"})
    assert expired.status_code == 400 and expired.json()["code"] == "token.expired"
    assert (resend.status_code, unknown.status_code) == (202, 202)
    assert second != first
    assert verified.status_code == 200
    assert bogus.status_code == 400 and bogus.json()["code"] == "token.invalid"


async def test_r7_colleagues_register_separately(identity: Any) -> None:
    async with identity.client() as client:
        a = await client.post(REGISTER, json=identity.registration())
        b = await client.post(REGISTER, json=identity.registration())
    assert (a.status_code, b.status_code) == (202, 202)


@pytest.mark.parametrize(
    "field",
    [
        "email",
        "password",
        "name",
        "organization_name",
        "postal_code",
        "address",
        "phone",
        "corporate_number",
        "name_kana",
        "department",
    ],
)
async def test_r5_a_megabyte_in_any_field_is_refused_by_its_length(
    identity: Any, field: str
) -> None:
    async with identity.client() as client:
        answer = await client.post(REGISTER, json=identity.registration(**{field: "9" * 1_000_000}))
    assert answer.status_code == 422
    assert f"body.{field}" in _fields(answer)
