"""R30: the customer directory through the HTTP API, on the real database (the folded
search text kept by the repository, the trigram-indexed LIKE)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from stdnum.jp import cn

MEMBERS = "/api/v1/ops/identity/members"


def corporate_number() -> str:
    """A random valid 13-digit corporate number (its check digit first)."""
    body = f"{random.randrange(10**12):012d}"
    return cn.calc_check_digit(body) + body


def hyphenated(number: str) -> str:
    return f"{number[0]}-{number[1:5]}-{number[5:9]}-{number[9:]}"


async def _found(
    client: httpx.AsyncClient, ops: dict[str, str], q: str, **params: Any
) -> list[str]:
    answer = await client.get(MEMBERS, params={"q": q, "limit": 100, **params}, headers=ops)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_r30_half_width_katakana_finds_full_width_katakana(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client, organization_name="カブシキガイシャ　ヒカリツウシン"
        )
        ops = await identity.ops_headers(client)
        by_half_width = await _found(client, ops, "ｶﾌﾞｼｷｶﾞｲｼｬ ﾋｶﾘ")
        by_hiragana = await _found(client, ops, "ひかりつうしん")
        by_other_kana = await _found(client, ops, "ｶﾌﾞｼｷｶﾞｲｼｬ ﾐﾅﾐ")
    assert member["member_id"] in by_half_width
    assert member["member_id"] in by_hiragana
    assert member["member_id"] not in by_other_kana


async def test_r30_full_width_digits_find_ascii_digits(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client, organization_name="第123商事")
        ops = await identity.ops_headers(client)
        found = await _found(client, ops, "第１２３")
        digits_only = await _found(client, ops, "１２３")
    assert found == [member["member_id"]]
    assert member["member_id"] in digits_only


async def test_r30_corporate_number_with_or_without_hyphens(identity: Any) -> None:
    number = corporate_number()
    async with identity.client() as client:
        member = await identity.register_and_verify(client, corporate_number=number)
        ops = await identity.ops_headers(client)
        plain = await _found(client, ops, number)
        with_hyphens = await _found(client, ops, hyphenated(number))
        full_width = await _found(client, ops, hyphenated(number).translate(_FULL_WIDTH))
    assert plain == with_hyphens == full_width == [member["member_id"]]


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


async def test_r30_email_fragment_login_id_phone_and_member_id(identity: Any) -> None:
    local = f"dir-{uuid.uuid4().hex[:10]}"
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client, email=f"{local}@example.co.jp", phone="090-3141-5926"
        )
        ops = await identity.ops_headers(client)
        by_email = await _found(client, ops, f"{local.upper()}@EXAMPLE")
        by_phone = await _found(client, ops, "090-3141-5926")
        by_id = await _found(client, ops, member["member_id"][:18])
        answer = await client.get(MEMBERS, params={"q": local}, headers=ops)
    assert by_email == [member["member_id"]]
    assert member["member_id"] in by_phone and member["member_id"] in by_id
    [item] = answer.json()["items"]
    body = member["body"]
    assert item == {
        "id": member["member_id"],
        "status": "active",
        "entity_type": "corporation",
        "organization_name": body["organization_name"],
        "name": body["name"],
        "name_kana": body["name_kana"],
        "corporate_number": body["corporate_number"],
        "login_id": body["email"],
        "contact_email": body["email"],
        "phone": "09031415926",
        "registered_at": item["registered_at"],
    }


async def test_r30_a_name_changed_in_my_page_is_found_by_the_new_name(identity: Any) -> None:
    new_name = f"改名 {uuid.uuid4().hex[:8]}"
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        ops = await identity.ops_headers(client)
        patched = await client.patch(
            "/api/v1/me", json={"name": new_name}, headers=member["headers"]
        )
        found = await _found(client, ops, new_name.upper())
    assert patched.status_code == 200, patched.text
    assert found == [member["member_id"]]


async def test_r30_the_directory_pages_newest_first_through_next_cursor(identity: Any) -> None:
    marker = f"頁{uuid.uuid4().hex[:8]}"
    async with identity.client() as client:
        members = [
            await identity.register_and_verify(client, organization_name=f"{marker}商会{i}")
            for i in range(3)
        ]
        ops = await identity.ops_headers(client)
        first = await client.get(MEMBERS, params={"q": marker, "limit": 2}, headers=ops)
        cursor = first.json()["next_cursor"]
        second = await client.get(
            MEMBERS, params={"q": marker, "limit": 2, "cursor": cursor}, headers=ops
        )
        bad_cursor = await client.get(MEMBERS, params={"cursor": "nonsense"}, headers=ops)
        too_long = await client.get(MEMBERS, params={"q": "x" * 201}, headers=ops)
    listed = [i["id"] for i in first.json()["items"] + second.json()["items"]]
    assert listed == [m["member_id"] for m in reversed(members)]
    assert cursor and second.json()["next_cursor"] is None
    assert bad_cursor.status_code == 422 and bad_cursor.json()["code"] == "request.invalid_cursor"
    assert too_long.status_code == 422


async def test_r30_members_and_anonymous_callers_are_refused(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        paths = [MEMBERS, f"{MEMBERS}/{member['member_id']}"]
        as_member = [await client.get(p, headers=member["headers"]) for p in paths]
        anonymous = [await client.get(p) for p in paths]
    assert [a.status_code for a in as_member] == [403, 403]
    assert [a.status_code for a in anonymous] == [401, 401]
    for answer in as_member + anonymous:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert member["body"]["email"] not in answer.text


async def test_r30_a_member_s_record_shows_profile_policy_document_and_withdrawal(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client, entity_type="sole_proprietor", corporate_number=None
        )
        ops = await identity.ops_headers(client)
        uploaded = await client.post(
            "/api/v1/me/identity-documents",
            data={"document_type": "drivers_license"},
            files={"file": ("licence.pdf", b"%PDF-1.4 licence", "application/pdf")},
            headers=member["headers"],
        )
        record = await client.get(f"{MEMBERS}/{member['member_id']}", headers=ops)
    assert uploaded.status_code == 201, uploaded.text
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["id"] == member["member_id"] and body["status"] == "active"
    assert body["name"] == member["body"]["name"]
    assert body["privacy_policy_version"] and body["privacy_policy_accepted_at"]
    assert body["registered_at"] and body["verified_at"]
    assert body["identity_document"]["id"] == uploaded.json()["id"]
    assert body["identity_document"]["status"] == "pending"
    assert body["withdrawal"] is None
    assert "password_hash" not in body and "totp_secret" not in body


async def test_r30_an_unknown_id_or_an_operator_is_404(identity: Any) -> None:
    async with identity.client() as client:
        ops = await identity.ops_headers(client)
        operators = await client.get(MEMBERS, params={"q": "@bizmall.example"}, headers=ops)
        unknown = await client.get(f"{MEMBERS}/{uuid.uuid4()}", headers=ops)
        malformed = await client.get(f"{MEMBERS}/not-a-uuid", headers=ops)
    async with identity.runtime.engine.connect() as conn:
        operator_id = await conn.scalar(
            sa.text("SELECT id FROM members WHERE kind = 'ops' LIMIT 1")
        )
    async with identity.client() as client:
        operator = await client.get(f"{MEMBERS}/{operator_id}", headers=ops)
    assert operators.json()["items"] == [], "operators are not in the directory"
    assert unknown.status_code == 404 and unknown.json()["code"] == "member.not_found"
    assert operator.status_code == 404
    assert malformed.status_code == 422
