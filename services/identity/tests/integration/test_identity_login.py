"""Login, sessions, throttling, keys and operators through the HTTP API (R4, R8, R29)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from sqlalchemy import text

from identity.domain.tokens import RefreshToken
from identity.service_layer.members import own_action_entry
from servicekit.auth import JWKSVerifier
from servicekit.testing.helpers import eventually

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


async def test_r4_access_token_carries_the_claims_and_verifies_against_jwks(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        jwks = await client.get("/internal/jwks")
    tokens = member["tokens"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"] in {k["kid"] for k in jwks.json()["keys"]}
    assert all("d" not in key for key in jwks.json()["keys"]), "a private key leaked"

    verifier = JWKSVerifier(f"{identity.base_url}/internal/jwks")
    try:
        principal = await verifier.verify(tokens["access_token"])
    finally:
        await verifier.close()
    assert principal.subject == member["member_id"]
    assert principal.roles == {"member"}
    assert principal.entity_type == "corporation" and principal.verified
    claims = principal.claims
    assert (claims["aud"], claims["iss"]) == ("bizmall", "bizmall-identity")
    assert claims["exp"] - claims["iat"] == 900


async def test_key_rotation_keeps_old_tokens_valid(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        async with identity.uow() as uow:
            new_kid = await identity.adapters.keys.rotate(uow.signing_keys)
            await uow.commit()
        old = await client.get("/api/v1/me", headers=member["headers"])
        again = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": identity.password}
        )
        kids = {k["kid"] for k in (await client.get("/internal/jwks")).json()["keys"]}
    assert old.status_code == 200
    assert jwt.get_unverified_header(again.json()["access_token"])["kid"] == new_kid
    assert (
        new_kid in kids
        and jwt.get_unverified_header(member["tokens"]["access_token"])["kid"] in kids
    )


async def test_refresh_cookie_is_httponly_secure_strict_and_scoped(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        login = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": identity.password}
        )
        cookie = login.headers["set-cookie"]
        without_header = await client.post(REFRESH)
        with_header = await client.post(REFRESH, headers={"X-Requested-With": "bizmall"})
    for part in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/v1/auth"):
        assert part.lower() in cookie.lower()
    assert without_header.status_code == 403
    assert without_header.json()["code"] == "auth.csrf_header_missing"
    assert with_header.status_code == 200
    # A refresh with the cookie gets its successor in the cookie only (issue 19 item 5).
    assert "refresh_token" not in with_header.json()
    rotated = with_header.headers["set-cookie"]
    assert login.json()["refresh_token"] not in rotated and "bizmall_refresh=" in rotated


async def test_refresh_reuse_revokes_the_whole_family(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        first = member["tokens"]["refresh_token"]
        second = (await client.post(REFRESH, json={"refresh_token": first})).json()["refresh_token"]
        # Past the grace window in which a second use gets the same pair (issue 19 item 6).
        await identity.sql(
            "UPDATE refresh_tokens SET rotated_at = rotated_at - interval '1 minute'"
            " WHERE token_hash = :h",
            h=hashlib.sha256(first.encode()).hexdigest(),
        )
        reuse = await client.post(REFRESH, json={"refresh_token": first})
        after = await client.post(REFRESH, json={"refresh_token": second})
    assert reuse.status_code == 401 and reuse.json()["code"] == "auth.session_invalid"
    assert after.status_code == 401, "the rotated successor must die with its family"


async def test_logout_revokes_the_session(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        token = member["tokens"]["refresh_token"]
        out = await client.post("/api/v1/auth/logout", json={"refresh_token": token})
        after = await client.post(REFRESH, json={"refresh_token": token})
    assert out.status_code == 204
    assert after.status_code == 401


async def test_wrong_password_and_unknown_login_id_answer_alike(identity: Any) -> None:
    async with identity.client(ip="10.1.0.1") as client:
        member = await identity.register_and_verify(client)
        wrong = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": "wrong password 123"}
        )
        unknown = await client.post(
            LOGIN, json={"login_id": "nobody@example.com", "password": "wrong password 123"}
        )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_account_lockout_with_retry_after_then_expiry(identity: Any) -> None:
    async with identity.client(ip="10.2.0.1") as client:
        member = await identity.register_and_verify(client)
        bad = {"login_id": member["body"]["email"], "password": "wrong password 123"}
        answers = [await client.post(LOGIN, json=bad) for _ in range(3)]
        good = {"login_id": member["body"]["email"], "password": identity.password}
        while_locked = await client.post(LOGIN, json=good)
        # The same for an account that does not exist: the lockout reveals nothing.
        ghost = {"login_id": f"ghost-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 12}
        ghost_answers = [await client.post(LOGIN, json=ghost) for _ in range(3)]

        async def unlocked() -> bool:
            return (await client.post(LOGIN, json=good)).status_code == 200

        await eventually(unlocked, timeout=10)
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert while_locked.status_code == 429 and int(while_locked.headers["Retry-After"]) >= 1
    assert while_locked.json()["code"] == "auth.too_many_attempts"
    assert [a.status_code for a in ghost_answers] == [401, 401, 429]


async def test_issue19_item16_an_address_is_never_locked_for_every_login_id(
    identity: Any,
) -> None:
    async with identity.client(ip="10.3.0.1") as office:
        colleague = await identity.register_and_verify(office)
        answers = [
            await office.post(LOGIN, json={"login_id": f"x{i}@example.com", "password": "y" * 12})
            for i in range(55)
        ]
        good = {"login_id": colleague["body"]["email"], "password": identity.password}
        still = await office.post(LOGIN, json=good)
    # Before, 50 failures from one address locked it for everyone behind it.
    assert [a.status_code for a in answers] == [401] * 55
    assert still.status_code == 200


async def test_argon2id_hash_is_upgraded_on_login(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(identity.password)
        await identity.sql(
            "UPDATE members SET password_hash = :h WHERE id = :m", h=weak, m=member["member_id"]
        )
        login = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": identity.password}
        )
    async with identity.runtime.engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT password_hash FROM members WHERE id = :m"), {"m": member["member_id"]}
        )
    assert login.status_code == 200
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_withdrawn_member_cannot_log_in(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        await identity.sql(
            "UPDATE members SET status = 'withdrawn' WHERE id = :m", m=member["member_id"]
        )
        login = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": identity.password}
        )
        refresh = await client.post(
            REFRESH, json={"refresh_token": member["tokens"]["refresh_token"]}
        )
    assert login.status_code == 403 and login.json()["code"] == "auth.account_withdrawn"
    assert refresh.status_code == 401


async def test_r29_operator_needs_totp_for_the_ops_role(identity: Any) -> None:
    email = f"ops-{uuid.uuid4().hex[:6]}@bizmall.example"
    code, output = await identity.create_ops(email, identity.password)
    assert code == 0, output
    async with identity.client() as client:
        first = await client.post(LOGIN, json={"login_id": email, "password": identity.password})
        body = first.json()
        assert "access_token" not in body and body["mfa_required"] is True
        secret = body["totp_enrollment"]["secret"]
        assert body["totp_enrollment"]["provisioning_uri"].startswith("otpauth://totp/")
        wrong = await client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": body["challenge_token"],
                "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
            },
        )
        code = pyotp.TOTP(secret).now()
        done = await client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": body["challenge_token"], "code": code},
        )
        replay = await client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": body["challenge_token"], "code": code},
        )
        second = await client.post(LOGIN, json={"login_id": email, "password": identity.password})
        dead_letters = await client.get(
            "/api/v1/ops/identity/dead-letters",
            headers={"Authorization": f"Bearer {done.json()['access_token']}"},
        )
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth.totp_invalid"
    assert done.status_code == 200
    claims = jwt.decode(done.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["ops"]
    assert replay.status_code == 401
    assert "totp_enrollment" not in second.json(), "enrolment happens once"
    assert dead_letters.status_code == 200


async def test_create_ops_refuses_duplicates_and_weak_passwords(identity: Any) -> None:
    first = await identity.create_ops("dup@bizmall.example", identity.password)
    second = await identity.create_ops("dup@bizmall.example", identity.password)
    weak = await identity.create_ops("weak@bizmall.example", "short")
    assert (first[0], second[0], weak[0]) == (0, 1, 2)


async def test_signing_keys_are_encrypted_at_rest(identity: Any) -> None:
    async with identity.client() as client:
        await client.get("/internal/jwks")
    async with identity.runtime.engine.connect() as conn:
        stored = list(
            (await conn.execute(text("SELECT encrypted_private_key FROM signing_keys"))).scalars()
        )
    assert stored and all("PRIVATE KEY" not in value for value in stored)


async def test_local_seed_creates_the_demo_operator_once(identity: Any) -> None:
    email = f"demo-{uuid.uuid4().hex[:6]}@bizmall.example"
    env = {
        **os.environ,
        "IDENTITY_DATABASE_URL": identity.settings.database_url,
        "BIZMALL_DEMO_OPS_EMAIL": email,
        "BIZMALL_DEMO_OPS_PASSWORD": "demo operator password 1",
    }
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "identity",
            "seed",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()
    async with identity.client() as client:
        login = await client.post(
            LOGIN, json={"login_id": email, "password": "demo operator password 1"}
        )
    assert login.status_code == 200 and login.json()["mfa_required"] is True


async def test_login_holds_no_database_connection_while_the_password_is_hashed(
    identity: Any, monkeypatch: Any
) -> None:
    """argon2id takes tens of milliseconds: a login must not keep a pooled connection
    (and its transaction) for that long, or every other request queues behind logins."""
    passwords = identity.adapters.passwords
    real_verify = passwords.verify
    checked_out: list[int] = []

    async def verify(stored: str | None, password: str) -> bool:
        checked_out.append(identity.runtime.engine.pool.checkedout())
        checked_out.append(identity.adapters.logins.checked_out())
        return await real_verify(stored, password)

    monkeypatch.setattr(passwords, "verify", verify)
    async with identity.client(ip="10.1.0.9") as client:
        member = await identity.register_and_verify(client)
        email = member["body"]["email"]
        good = await client.post(LOGIN, json={"login_id": email, "password": identity.password})
        bad = await client.post(LOGIN, json={"login_id": email, "password": "wrong password 123"})
    assert good.status_code == 200, good.text
    assert bad.status_code == 401
    assert len(checked_out) >= 4 and set(checked_out) == {0}, checked_out


async def test_issue20_the_login_statement_finds_the_account_the_repository_finds(
    identity: Any,
) -> None:
    """A withdrawn account releases its login ID (R8): the login's own lookup and the
    repository's both find the new registration, whatever the case of the address."""
    async with identity.client(ip="10.20.0.1") as client:
        member = await identity.register_and_verify(client)
        email = member["body"]["email"]
        await identity.sql(
            "UPDATE members SET status = 'withdrawn' WHERE id = :m", m=member["member_id"]
        )
        again = await client.post(
            "/api/v1/auth/register", json=identity.registration(email=email.upper())
        )
        assert again.status_code == 202, again.text
    logins = identity.adapters.logins
    found = await logins.holder(f" {email.upper()} ")
    async with identity.uow() as uow:
        expected = await uow.members.by_login_id(email)
    assert found is not None and expected is not None
    assert vars(found) == vars(expected)
    assert str(found.id) != member["member_id"] and found.status == "pending_verification"
    assert await logins.holder(f"nobody-{uuid.uuid4().hex[:6]}@example.com") is None


async def _login_rows(identity: Any, member_id: str) -> tuple[int, int]:
    """The member's refresh tokens and ``member.login`` audit rows."""
    async with identity.runtime.engine.connect() as conn:
        tokens = await conn.scalar(
            text("SELECT count(*) FROM refresh_tokens WHERE member_id = :m"), {"m": member_id}
        )
        audits = await conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE member_id = :m AND action = 'member.login'"),
            {"m": member_id},
        )
    return int(tokens), int(audits)


async def test_issue20_a_password_changed_while_it_is_checked_opens_no_session(
    identity: Any, monkeypatch: Any
) -> None:
    """The session is written only if the account still has the hash the password was
    checked against: a reset finishing during the check wins (401, nothing stored)."""
    passwords = identity.adapters.passwords
    real_verify = passwords.verify
    async with identity.client(ip="10.20.0.2") as client:
        member = await identity.register_and_verify(client)
        before = await _login_rows(identity, member["member_id"])
        other = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("x" * 12)

        async def verify_then_reset(stored: str | None, password: str) -> bool:
            ok = await real_verify(stored, password)
            await identity.sql(
                "UPDATE members SET password_hash = :h WHERE id = :m",
                h=other,
                m=member["member_id"],
            )
            return ok

        monkeypatch.setattr(passwords, "verify", verify_then_reset)
        login = await client.post(
            LOGIN, json={"login_id": member["body"]["email"], "password": identity.password}
        )
    assert login.status_code == 401 and login.json()["code"] == "auth.invalid_credentials"
    assert await _login_rows(identity, member["member_id"]) == before


async def test_issue20_the_session_statement_may_run_twice(identity: Any) -> None:
    """A statement retried after its connection was lost (it may have committed) stores
    one session and one audit row, and says the session is there."""
    async with identity.client(ip="10.20.0.3") as client:
        member = await identity.register_and_verify(client)
    logins = identity.adapters.logins
    holder = await logins.holder(member["body"]["email"])
    assert holder is not None
    before = await _login_rows(identity, member["member_id"])
    token, _ = RefreshToken.open_family(
        member_id=holder.id, roles=["member"], ttl_seconds=60, now=datetime.now(UTC)
    )
    audit = own_action_entry(holder.id, "member.login", at=datetime.now(UTC), ip="10.20.0.3")
    assert await logins.open_session(token, holder, audit)
    assert await logins.open_session(token, holder, audit)
    tokens, audits = await _login_rows(identity, member["member_id"])
    assert (tokens, audits) == (before[0] + 1, before[1] + 1)
