"""Issue 18 through identity's HTTP API on the real PostgreSQL and Redis: re-sending the
verification email (R6, R10), the kana reading and department (R5), re-registration
after withdrawal (R8, R11), and operators' second factor: the enrolment QR code, the
reset by another operator, and `python -m identity create-operator` (R29)."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pyotp
import pytest_asyncio
import sqlalchemy as sa
import zxingcpp
from aiohttp import web
from PIL import Image

from identity.adapters.ordering_client import OrderingClient
from identity.service_layer.operators import create_operator
from servicekit.testing.audit import read_audit_log
from servicekit.testing.smtp import free_port

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
LOGIN = "/api/v1/auth/login"
TOTP = "/api/v1/auth/login/totp"
REFRESH = "/api/v1/auth/refresh"
OPERATORS = "/api/v1/ops/identity/operators"


def _unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.co.jp"


async def _tokens(identity: Any, member_id: str) -> list[str]:
    """Every verification token sent to the member, oldest first."""
    return [
        identity.unseal(e["sealed_verification_token"])
        for e in await identity.events("identity.member.registered")
        if e["member_id"] == member_id
    ]


# --- R6, R10: re-sending the verification email --------------------------------------------


async def test_r6_resend_after_an_expired_link_issues_a_new_one_and_voids_the_old(
    identity: Any,
) -> None:
    body = identity.registration()
    async with identity.client() as client:
        assert (await client.post(REGISTER, json=body)).status_code == 202
        member_id = await identity.member_id(body["email"])
        refused = await client.post(
            LOGIN, json={"login_id": body["email"], "password": identity.password}
        )
        resent = await client.post(RESEND, json={"email": body["email"].upper()})
        [first, second] = await _tokens(identity, member_id)
        old = await client.post(VERIFY, json={"token": first})
        new = await client.post(VERIFY, json={"token": second})
        login = await client.post(
            LOGIN, json={"login_id": body["email"], "password": identity.password}
        )
    assert refused.status_code == 403 and refused.json()["code"] == "auth.email_unverified"
    assert refused.json()["resend"] == RESEND, "the login refusal says where to re-send"
    assert resent.status_code == 202 and resent.json() == {"status": "accepted"}
    assert first != second
    assert old.status_code == 400 and old.json()["code"] == "token.used"
    assert old.json()["resend"] == RESEND
    assert new.status_code == 200 and login.status_code == 200


async def test_r6_resend_is_rate_limited_per_address_with_429_alike_for_any_address(
    identity: Any,
) -> None:
    pending = identity.registration()
    async with identity.client() as client:
        await client.post(REGISTER, json=pending)
        verified = await identity.register_and_verify(client)
        addresses = {
            "pending": pending["email"],
            "verified": verified["body"]["email"],
            "stranger": _unique_email("stranger"),
        }
        answers = {}
        for name, email in addresses.items():
            first = await client.post(RESEND, json={"email": email})
            again = await client.post(RESEND, json={"email": email})
            answers[name] = (first, again)
    pending_id = await identity.member_id(pending["email"])
    assert len(await _tokens(identity, pending_id)) == 2, "the registration's and one resend"
    assert len(await _tokens(identity, verified["member_id"])) == 1, "none to a verified one"
    firsts = {(a.status_code, a.text) for a, _ in answers.values()}
    assert firsts == {(202, '{"status":"accepted"}')}, "R10: the same answer for any address"
    refusals = set()
    for _, again in answers.values():
        assert again.status_code == 429
        assert again.headers["content-type"].startswith("application/problem+json")
        problem = again.json()
        assert int(again.headers["retry-after"]) == problem["retry_after"] > 0
        assert 0 < problem["retry_after"] <= identity.settings.verification_resend_cooldown_seconds
        refusals.add((problem["code"], problem["status"]))
    assert refusals == {("auth.resend_too_soon", 429)}, "R10: the same refusal for any address"


# --- R5: kana reading and department --------------------------------------------------------


async def test_r5_kana_and_department_are_kept_shown_in_my_page_and_to_ops(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client, name_kana="ﾔﾏﾀﾞ ﾀﾛｳ", department="情報システム部"
        )
        ops = await identity.ops_headers(client)
        me = await client.get("/api/v1/me", headers=member["headers"])
        record = await client.get(
            f"/api/v1/ops/identity/members/{member['member_id']}", headers=ops
        )
        patched = await client.patch(
            "/api/v1/me", json={"name_kana": "ヤマダ ハナコ"}, headers=member["headers"]
        )
        bad = await client.post(
            REGISTER, json=identity.registration(name_kana="やまだ", department="x" * 201)
        )
    assert (me.json()["name_kana"], me.json()["department"]) == ("ヤマダ タロウ", "情報システム部")
    assert record.status_code == 200, record.text
    assert (record.json()["name_kana"], record.json()["department"]) == (
        "ヤマダ タロウ",
        "情報システム部",
    )
    assert patched.status_code == 200 and patched.json()["name_kana"] == "ヤマダ ハナコ"
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"body.name_kana", "body.department"}


# --- R8: re-registration after withdrawal ---------------------------------------------------


class OrderingStandIn:
    """Ordering's withdrawal-blockers endpoint with nothing blocking anyone."""

    def __init__(self) -> None:
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response({"items": []})


@pytest_asyncio.fixture(scope="module")
async def ordering(identity: Any) -> AsyncIterator[OrderingStandIn]:
    stand_in = OrderingStandIn()
    app = web.Application()
    app.router.add_get("/internal/members/{member_id}/withdrawal-blockers", stand_in.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", stand_in.port).start()
    previous = identity.adapters
    client = OrderingClient(
        f"http://127.0.0.1:{stand_in.port}", timeout_seconds=identity.settings.http_timeout_seconds
    )
    identity.app.state.identity = replace(previous, ordering=client)
    try:
        yield stand_in
    finally:
        identity.app.state.identity = previous
        await runner.cleanup()


async def _rows(identity: Any, statement: str, **params: Any) -> list[dict[str, Any]]:
    async with identity.runtime.engine.connect() as conn:
        result = await conn.execute(sa.text(statement), params)
        return [dict(row._mapping) for row in result]


async def test_r8_a_withdrawn_members_address_registers_again_and_old_records_stay(
    identity: Any, ordering: OrderingStandIn
) -> None:
    async with identity.client() as client:
        old = await identity.register_and_verify(client, department="総務部")
        email, old_id = old["body"]["email"], old["member_id"]
        ops = await identity.ops_headers(client)
        requested = await client.post("/api/v1/me/withdrawal", headers=old["headers"])
        assert requested.json()["stage"] == "awaiting_confirmation", requested.text
        confirmed = await client.post(
            f"/api/v1/ops/identity/withdrawals/{requested.json()['id']}/confirm", headers=ops
        )
        assert confirmed.status_code == 200, confirmed.text
        before = await _rows(identity, "SELECT * FROM members WHERE id = :id", id=old_id)
        old_tokens = await _rows(
            identity, "SELECT * FROM one_time_tokens WHERE member_id = :id", id=old_id
        )

        again = identity.registration(
            email=email.upper(), password="another horse battery 77", department="経理部"
        )
        registered = await client.post(REGISTER, json=again)
        rows = await _rows(
            identity,
            "SELECT id, status FROM members WHERE login_id = :e ORDER BY created_at",
            e=email.lower(),
        )
        new_id = str(rows[-1]["id"])
        [token] = await _tokens(identity, new_id)
        verified = await client.post(VERIFY, json={"token": token})
        login = await client.post(
            LOGIN, json={"login_id": email, "password": "another horse battery 77"}
        )
        old_password = await client.post(
            LOGIN, json={"login_id": email, "password": identity.password}
        )
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        old_record = await client.get(f"/api/v1/ops/identity/members/{old_id}", headers=ops)
        taken = await client.post(REGISTER, json=identity.registration(email=email))
    assert registered.status_code == 202
    assert [(str(r["id"]), r["status"]) for r in rows] == [
        (old_id, "withdrawn"),
        (new_id, "pending_verification"),
    ]
    assert new_id != old_id
    attempted = [
        e
        for e in await identity.events("identity.registration.attempted_existing")
        if e["member_id"] == old_id
    ]
    assert attempted == [], "the withdrawn account is not mailed 'already registered'"
    assert verified.status_code == 200 and login.status_code == 200, login.text
    assert old_password.status_code == 401
    assert me.json()["id"] == new_id and me.json()["department"] == "経理部"
    # The old account's records are exactly as they were: row, tokens, withdrawal.
    after = await _rows(identity, "SELECT * FROM members WHERE id = :id", id=old_id)
    assert after == before
    assert (
        await _rows(identity, "SELECT * FROM one_time_tokens WHERE member_id = :id", id=old_id)
        == old_tokens
    )
    assert old_record.json()["status"] == "withdrawn"
    assert old_record.json()["department"] == "総務部"
    assert old_record.json()["withdrawal"]["status"] == "withdrawn"
    # The new account holds the login ID now: a third registration is a duplicate.
    assert taken.status_code == 202
    [notice] = [
        e
        for e in await identity.events("identity.registration.attempted_existing")
        if e["member_id"] == new_id
    ]
    assert notice["member_id"] == new_id


async def test_r8_the_database_keeps_one_live_account_per_login_id(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
    duplicate = (
        "INSERT INTO members (id, login_id, password_hash, kind, status, version, name,"
        " organization_name, postal_code, address, phone, contact_email, language,"
        " totp_enrolled, created_at, search_text)"
        " SELECT :id, login_id, password_hash, kind, :status, 1, name, organization_name,"
        " postal_code, address, phone, contact_email, language, false, now(), ''"
        " FROM members WHERE id = :old"
    )
    refused = False
    try:
        await identity.sql(duplicate, id=uuid.uuid4(), status="active", old=member["member_id"])
    except sa.exc.IntegrityError:
        refused = True
    await identity.sql(duplicate, id=uuid.uuid4(), status="withdrawn", old=member["member_id"])
    assert refused, "two live accounts with one login ID"
    count = await _rows(
        identity,
        "SELECT count(*) AS n FROM members WHERE login_id = :e",
        e=member["body"]["email"].lower(),
    )
    assert count == [{"n": 2}]


# --- R29: operators' second factor -----------------------------------------------------------


async def _operator(identity: Any, client: Any) -> dict[str, Any]:
    """A new operator after the first login with both factors."""
    email = f"ops-{uuid.uuid4().hex[:8]}@bizmall.example"
    assert await create_operator(
        uow=identity.uow(),
        passwords=identity.adapters.passwords,
        email=email,
        password=identity.password,
    )
    first = await client.post(LOGIN, json={"login_id": email, "password": identity.password})
    enrollment = first.json()["totp_enrollment"]
    done = await client.post(
        TOTP,
        json={
            "challenge_token": first.json()["challenge_token"],
            "code": pyotp.TOTP(enrollment["secret"]).now(),
        },
    )
    assert done.status_code == 200, done.text
    subject = await identity.member_id(email)
    return {
        "email": email,
        "id": subject,
        "enrollment": enrollment,
        "refresh_token": done.json()["refresh_token"],
        "headers": {"Authorization": f"Bearer {done.json()['access_token']}"},
    }


def _decode_qr(data_uri: str) -> str:
    header, payload = data_uri.split(",", 1)
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    [barcode] = zxingcpp.read_barcodes(image)
    return str(barcode.text)


async def test_r29_the_enrolment_qr_code_decodes_to_the_otpauth_uri(identity: Any) -> None:
    async with identity.client() as client:
        operator = await _operator(identity, client)
    enrollment = operator["enrollment"]
    uri = enrollment["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and f"secret={enrollment['secret']}" in uri
    assert _decode_qr(enrollment["qr_code"]) == uri


async def test_r29_an_operator_resets_anothers_second_factor_audited(identity: Any) -> None:
    async with identity.client() as client:
        alice = await _operator(identity, client)
        bob = await _operator(identity, client)
        member = await identity.register_and_verify(client)
        listed = await client.get(OPERATORS, headers=alice["headers"])
        own = await client.post(
            f"{OPERATORS}/{alice['id']}/second-factor-reset", headers=alice["headers"]
        )
        by_member = await client.post(
            f"{OPERATORS}/{bob['id']}/second-factor-reset", headers=member["headers"]
        )
        not_operator = await client.post(
            f"{OPERATORS}/{member['member_id']}/second-factor-reset", headers=alice["headers"]
        )
        reset = await client.post(
            f"{OPERATORS}/{bob['id']}/second-factor-reset", headers=alice["headers"]
        )
        bob_refresh = await client.post(REFRESH, json={"refresh_token": bob["refresh_token"]})
        bob_again = await client.post(
            LOGIN, json={"login_id": bob["email"], "password": identity.password}
        )
        rows = await read_audit_log(
            client, "identity", alice["headers"], actor_id=alice["id"], entity="operator"
        )
    items = {item["id"]: item for item in listed.json()["items"]}
    assert listed.status_code == 200 and items[bob["id"]]["totp_enrolled"] is True
    assert "totp_secret" not in items[bob["id"]] and "secret" not in listed.text
    assert own.status_code == 403 and own.json()["code"] == "ops.own_second_factor"
    assert by_member.status_code == 403 and by_member.json()["code"] == "auth.ops_only"
    assert not_operator.status_code == 404
    assert not_operator.json()["code"] == "ops.operator_not_found"
    assert reset.status_code == 200, reset.text
    assert reset.json()["id"] == bob["id"] and reset.json()["totp_enrolled"] is False
    assert bob_refresh.status_code == 401, "the reset ends the operator's sessions"
    enrollment = bob_again.json()["totp_enrollment"]
    assert enrollment["secret"] != bob["enrollment"]["secret"], "a new secret to enrol"
    assert _decode_qr(enrollment["qr_code"]) == enrollment["provisioning_uri"]
    resets = [r for r in rows if r["action"] == "ops.second_factor_reset"]
    assert [r["target"] for r in resets] == [f"member:{bob['id']}"], "one reset, the refusals none"
    assert resets[0]["actor"] == alice["id"]


async def _create_operator_cli(
    identity: Any, *args: str, stdin: bytes | None = None
) -> tuple[int, str]:
    env = {**os.environ, "IDENTITY_DATABASE_URL": identity.settings.database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "identity",
        "create-operator",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate(stdin or b"")
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_r29_create_operator_enrols_the_second_factor_in_the_terminal(
    identity: Any,
) -> None:
    email = f"first-ops-{uuid.uuid4().hex[:8]}@bizmall.example"
    code, out = await _create_operator_cli(identity, "--email", email)
    again, again_out = await _create_operator_cli(identity, "--email", email)
    weak, weak_out = await _create_operator_cli(
        identity, "--email", f"x{email}", "--password-stdin", stdin=b"short\n"
    )
    assert code == 0, out
    password = re.search(r"^password \(shown once\): (\S+)$", out, re.M)
    uri = re.search(r"^otpauth URI: (otpauth://\S+)$", out, re.M)
    assert password and uri, out
    assert "█" in out or "▀" in out, "a QR code drawn in the terminal"
    secret = pyotp.parse_uri(uri.group(1)).secret
    async with identity.client() as client:
        first = await client.post(LOGIN, json={"login_id": email, "password": password.group(1)})
        done = await client.post(
            TOTP,
            json={
                "challenge_token": first.json()["challenge_token"],
                "code": pyotp.TOTP(secret).now(),
            },
        )
    assert first.status_code == 200 and "totp_enrollment" not in first.json(), first.text
    assert done.status_code == 200, done.text
    assert again == 1 and "already exists" in again_out
    assert weak == 2 and weak_out.startswith("refused:")
