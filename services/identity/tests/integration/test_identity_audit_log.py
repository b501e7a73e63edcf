"""R34 in identity: ops actions and the member's own security events (login, lockout,
password change, email change, withdrawal request) are in the audit trail, each row
written with its change, read by ops through the filters and as CSV, never changed."""

from __future__ import annotations

from typing import Any

import jwt

from servicekit.testing.audit import check_audit_trail, read_audit_log

LOGIN = "/api/v1/auth/login"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def subject_of(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    subject: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return subject


async def test_r34_an_ops_review_of_a_members_document_is_in_the_trail_and_its_csv(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client,
            entity_type="sole_proprietor",
            corporate_number=None,
            organization_name="山田商店",
        )
        ops = await identity.ops_headers(client)
        uploaded = await client.post(
            "/api/v1/me/identity-documents",
            headers=member["headers"],
            data={"document_type": "drivers_license"},
            files={"file": ("license.png", PNG, "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        reviewed = await client.post(
            f"/api/v1/ops/identity/documents/{uploaded.json()['id']}/review",
            headers=ops,
            json={"decision": "approved"},
        )
        assert reviewed.status_code == 200, reviewed.text

        row = await check_audit_trail(
            client,
            "identity",
            ops=ops,
            member=member["headers"],
            sessions=identity.runtime.sessions,
            action="document.approved",
            actor=subject_of(ops),
            entity="document",
            member_id=member["member_id"],
        )
    assert row["target"] == f"document:{uploaded.json()['id']}"


async def test_r34_a_members_login_lockout_password_email_change_and_withdrawal_are_audited(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(client)  # logs in once
        member_id, email = member["member_id"], member["body"]["email"]
        headers = member["headers"]
        new_password = "a brand new secret 9"
        changed = await client.post(
            "/api/v1/me/password",
            headers=headers,
            json={"current_password": identity.password, "new_password": new_password},
        )
        assert changed.status_code == 204, changed.text
        new_email = "new-" + email
        pending = await client.patch(
            "/api/v1/me", headers=headers, json={"contact_email": new_email}
        )
        assert pending.status_code == 200, pending.text
        requested = await identity.last_event_for(
            "identity.member.email_change_requested", member_id
        )
        token = identity.unseal(requested["sealed_confirmation_token"])
        confirmed = await client.post("/api/v1/me/email/confirm", json={"token": token})
        assert confirmed.status_code == 200, confirmed.text
        # The fixture locks an account after three wrong passwords.
        wrong = [
            await client.post(LOGIN, json={"login_id": email, "password": "wrong password 1"})
            for _ in range(3)
        ]
        assert [answer.status_code for answer in wrong] == [401, 401, 429]
        withdrawal = await client.post("/api/v1/me/withdrawal", headers=headers)
        assert withdrawal.status_code == 202, withdrawal.text

        ops = await identity.ops_headers(client)
        trail = await read_audit_log(client, "identity", ops, member_id=member_id)

    assert [row["action"] for row in reversed(trail)] == [
        "member.login",
        "member.password_changed",
        "member.email_change_requested",
        "member.email_changed",
        "member.login_locked",
        "withdrawal.requested",
    ]
    assert {(row["actor"], row["member_id"]) for row in trail} == {(member_id, member_id)}
    assert [row["entity"] for row in trail[:-1]] == ["withdrawal"] + ["member"] * 4
    by_action = {row["action"]: row for row in trail}
    assert by_action["member.login"]["target"] == f"member:{member_id}"
    assert by_action["member.login"]["details"] == {"ip": "127.0.0.1"}
    assert by_action["member.email_change_requested"]["details"] == {"new_email": new_email}
    assert by_action["member.login_locked"]["details"]["locked_seconds"] >= 1
    assert "password" not in str(by_action["member.password_changed"]["details"])
    assert by_action["withdrawal.requested"]["target"] == f"withdrawal:{withdrawal.json()['id']}"
