"""My Page, contact email, password change and reset through the HTTP API (R8, R9, R10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


async def test_r9_profile_change_publishes_whole_profile_with_version(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        patched = await client.patch(
            "/api/v1/me",
            headers=member["headers"],
            json={"name": "山田 花子", "postal_code": "150-0001", "language": "en"},
        )
        bad = await client.patch(
            "/api/v1/me", headers=member["headers"], json={"phone": "12", "login_id": "x@y.jp"}
        )
        shown = await client.get("/api/v1/me", headers=member["headers"])
    assert patched.status_code == 200
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body.phone", "body.login_id"}
    assert shown.json()["name"] == "山田 花子" and shown.json()["postal_code"] == "1500001"
    event = await identity.last_event_for("identity.member.profile_changed", member["member_id"])
    assert event["aggregate_version"] == 3  # registered 1, verified 2, changed 3
    assert event["profile"]["language"] == "en" and event["profile"]["name"] == "山田 花子"


async def test_r8_contact_email_change_keeps_the_login_id(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        login_id = member["body"]["email"]
        new_email = "new-" + login_id
        pending = await client.patch(
            "/api/v1/me", headers=member["headers"], json={"contact_email": new_email}
        )
        requested = await identity.last_event_for(
            "identity.member.email_change_requested", member["member_id"]
        )
        token = identity.unseal(requested["sealed_confirmation_token"])
        confirmed = await client.post("/api/v1/me/email/confirm", json={"token": token})
        reused = await client.post("/api/v1/me/email/confirm", json={"token": token})
        old_login = await client.post(
            LOGIN, json={"login_id": login_id, "password": identity.password}
        )
        new_login = await client.post(
            LOGIN, json={"login_id": new_email, "password": identity.password}
        )
    assert pending.json()["contact_email"] == login_id
    assert pending.json()["pending_contact_email"] == new_email
    assert (
        requested["new_email"] == new_email and token not in requested["sealed_confirmation_token"]
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["contact_email"] == new_email
    assert confirmed.json()["login_id"] == login_id
    assert reused.status_code == 400 and reused.json()["code"] == "token.used"
    assert old_login.status_code == 200
    assert new_login.status_code == 401
    event = await identity.last_event_for("identity.member.profile_changed", member["member_id"])
    assert event["profile"]["contact_email"] == new_email


async def test_another_members_data_is_unreachable(identity: Any, token_issuer: Any) -> None:
    async with identity.client() as client:
        alice = await identity.register_and_verify(client)
        bob = await identity.register_and_verify(client)
        await client.patch("/api/v1/me", headers=alice["headers"], json={"name": "Alice"})
        bob_view = await client.get("/api/v1/me", headers=bob["headers"])
        # A token naming Alice but signed with a key identity never issued.
        forged = await client.get(
            "/api/v1/me", headers=token_issuer.member(member_id=alice["member_id"])
        )
        anonymous = await client.get("/api/v1/me")
    assert bob_view.json()["id"] == bob["member_id"] and bob_view.json()["name"] != "Alice"
    assert forged.status_code == 401 and anonymous.status_code == 401


async def test_r9_password_change_needs_current_and_revokes_other_sessions(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        email = member["body"]["email"]
        other = (
            await client.post(LOGIN, json={"login_id": email, "password": identity.password})
        ).json()
        wrong = await client.post(
            "/api/v1/me/password",
            headers=member["headers"],
            json={"current_password": "not the password", "new_password": "a brand new secret 9"},
        )
        weak = await client.post(
            "/api/v1/me/password",
            headers=member["headers"],
            json={"current_password": identity.password, "new_password": "password1234"},
        )
        changed = await client.post(
            "/api/v1/me/password",
            headers=member["headers"],
            json={"current_password": identity.password, "new_password": "a brand new secret 9"},
        )
        this_session = await client.post(
            REFRESH, json={"refresh_token": member["tokens"]["refresh_token"]}
        )
        other_session = await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
        new_login = await client.post(
            LOGIN, json={"login_id": email, "password": "a brand new secret 9"}
        )
    assert wrong.status_code == 400 and wrong.json()["code"] == "auth.current_password_wrong"
    assert weak.status_code == 422
    assert changed.status_code == 204
    assert this_session.status_code == 200
    assert other_session.status_code == 401
    assert new_login.status_code == 200


async def test_r10_password_reset_never_reveals_membership(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        before = len(await identity.events("identity.password_reset.requested"))
        known = await client.post(
            "/api/v1/auth/password-reset", json={"email": member["body"]["email"]}
        )
        unknown = await client.post(
            "/api/v1/auth/password-reset", json={"email": "nobody-here@example.com"}
        )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(await identity.events("identity.password_reset.requested")) == before + 1


async def test_r10_reset_link_sets_password_once_and_revokes_every_session(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        email = member["body"]["email"]
        await client.post("/api/v1/auth/password-reset", json={"email": email})
        event = await identity.last_event_for(
            "identity.password_reset.requested", member["member_id"]
        )
        token = identity.unseal(event["sealed_reset_token"])
        expires = event["token_expires_at"]
        confirm = {"token": token, "new_password": "reset secret value 77"}
        done = await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
        again = await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
        session = await client.post(
            REFRESH, json={"refresh_token": member["tokens"]["refresh_token"]}
        )
        login = await client.post(
            LOGIN, json={"login_id": email, "password": "reset secret value 77"}
        )
    assert token not in event["sealed_reset_token"]
    lifetime = datetime.fromisoformat(expires) - datetime.now(UTC)
    assert timedelta(minutes=55) < lifetime <= timedelta(hours=1)
    assert done.status_code == 200
    assert again.status_code == 400 and again.json()["code"] == "token.used"
    assert session.status_code == 401
    assert login.status_code == 200


async def test_r10_expired_reset_link_is_refused(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        await client.post("/api/v1/auth/password-reset", json={"email": member["body"]["email"]})
        event = await identity.last_event_for(
            "identity.password_reset.requested", member["member_id"]
        )
        await identity.sql(
            "UPDATE one_time_tokens SET expires_at = now() - interval '1 second'"
            " WHERE member_id = :m AND purpose = 'password_reset'",
            m=member["member_id"],
        )
        answer = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={
                "token": identity.unseal(event["sealed_reset_token"]),
                "new_password": "reset secret value 77",
            },
        )
    assert answer.status_code == 400 and answer.json()["code"] == "token.expired"


async def test_r9_a_required_field_cannot_be_erased_with_null(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)
        answer = await client.patch("/api/v1/me", json={"name": None}, headers=member["headers"])
        profile = await client.get("/api/v1/me", headers=member["headers"])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.name"
    assert profile.json()["name"] == member["body"]["name"]
