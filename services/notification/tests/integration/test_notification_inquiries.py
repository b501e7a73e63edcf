"""Inquiries (R26, R19, R15's rule): members see only their own; ops answers are emailed
and shown in My Page; every ops action is audited (R29)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from bizmall_testkit.mail import body_of

INQUIRIES = "/api/v1/inquiries"
OPS = "/api/v1/ops/notification/inquiries"


async def test_r26_inquiry_is_answered_by_email_and_in_my_page(
    notification: Any, token_issuer: Any, smtp_sink: Any
) -> None:
    n = notification
    member_id = await n.member(email="asker@example.jp", name="問合 花子")
    member = token_issuer.member(str(member_id))
    order_id = str(await n.order(member_id))
    asked = await n.client.post(
        INQUIRIES,
        json={"category": "order", "subject": "開通日", "body": "いつですか", "order_id": order_id},
        headers=member,
    )
    assert asked.status_code == 201, asked.text
    inquiry = asked.json()
    assert inquiry["order_id"] == order_id and inquiry["status"] == "open"

    answered = await n.client.post(
        f"{OPS}/{inquiry['id']}/answers", json={"body": "4月1日です。"}, headers=token_issuer.ops()
    )
    assert answered.status_code == 201, answered.text
    mail = await smtp_sink.wait_for(lambda m: m["X-Bizmall-Template"] == "inquiry_answer")
    assert mail["To"] == "asker@example.jp"
    assert "4月1日です。" in body_of(mail) and "問合 花子" in body_of(mail)

    mine = await n.client.get(INQUIRIES, headers=member)
    [listed] = mine.json()["items"]
    assert listed["status"] == "answered"
    assert [a["body"] for a in listed["answers"]] == ["4月1日です。"]
    assert "answered_by" not in listed["answers"][0]

    closed = await n.client.post(f"{OPS}/{inquiry['id']}/close", headers=token_issuer.ops())
    assert closed.json()["status"] == "closed"
    late = await n.client.post(
        f"{OPS}/{inquiry['id']}/answers", json={"body": "追記"}, headers=token_issuer.ops()
    )
    assert late.status_code == 409 and late.json()["code"] == "inquiry.closed"

    async with n.runtime.sessions() as session:
        actions = (
            await session.execute(
                text("SELECT action FROM audit_log WHERE target = :t ORDER BY at"),
                {"t": inquiry["id"]},
            )
        ).scalars()
        assert list(actions) == ["inquiry.answered", "inquiry.closed"]
        published = await session.scalar(
            text("SELECT count(*) FROM outbox WHERE type = 'notification.inquiry.answered'")
        )
        assert published == 1


async def test_r26_a_member_never_sees_another_members_inquiry(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    alice, bob = token_issuer.member(str(uuid.uuid4())), token_issuer.member(str(uuid.uuid4()))
    asked = await n.client.post(
        INQUIRIES, json={"category": "general", "subject": "質問", "body": "本文"}, headers=alice
    )
    inquiry_id = asked.json()["id"]
    assert (await n.client.get(f"{INQUIRIES}/{inquiry_id}", headers=alice)).status_code == 200
    other = await n.client.get(f"{INQUIRIES}/{inquiry_id}", headers=bob)
    assert other.status_code == 404 and other.json()["code"] == "inquiry.not_found"
    assert (await n.client.get(INQUIRIES, headers=bob)).json()["items"] == []
    assert (await n.client.get(INQUIRIES)).status_code == 401
    ops_view = await n.client.get(f"{OPS}/{inquiry_id}", headers=token_issuer.ops())
    assert ops_view.status_code == 200 and ops_view.json()["member_id"]
    assert (await n.client.get(OPS, headers=alice)).status_code == 403


async def test_r26_bad_inquiry_is_refused_field_by_field(
    notification: Any, token_issuer: Any
) -> None:
    answer = await notification.client.post(
        INQUIRIES,
        json={"category": "complaint", "subject": "", "body": "x"},
        headers=token_issuer.member(),
    )
    assert answer.status_code == 422
    fields = {error["field"] for error in answer.json()["errors"]}
    assert {"category", "subject"} <= {f.split(".")[-1] for f in fields}


async def test_r26_my_page_pages_through_inquiries_and_refuses_a_forged_cursor(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    member = token_issuer.member(str(uuid.uuid4()))
    asked = []
    for number in range(3):
        answer = await n.client.post(
            INQUIRIES,
            json={"category": "general", "subject": f"質問{number}", "body": "本文"},
            headers=member,
        )
        asked.append(answer.json()["id"])
    first = (await n.client.get(INQUIRIES, params={"limit": 2}, headers=member)).json()
    rest = (
        await n.client.get(
            INQUIRIES, params={"limit": 2, "cursor": first["next_cursor"]}, headers=member
        )
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == asked[::-1]
    assert rest["next_cursor"] is None
    forged = await n.client.get(INQUIRIES, params={"cursor": "2025-04-01|x"}, headers=member)
    assert forged.status_code == 422 and forged.json()["code"] == "request.invalid_cursor"
    ops_page = await n.client.get(
        "/api/v1/ops/notification/deliveries", params={"limit": 1}, headers=token_issuer.ops()
    )
    assert ops_page.status_code == 200


async def test_r30_ops_inquiry_list_and_view_name_the_member_s_organization_and_person(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    member_id = await n.member(name="名寄 一郎")
    asked = await n.client.post(
        INQUIRIES,
        json={"category": "general", "subject": "請求先", "body": "変更できますか"},
        headers=token_issuer.member(str(member_id)),
    )
    assert asked.status_code == 201, asked.text
    ops = token_issuer.ops()
    listed = await n.client.get(OPS, params={"member_id": str(member_id)}, headers=ops)
    viewed = await n.client.get(f"{OPS}/{asked.json()['id']}", headers=ops)
    # A member whose copy has not arrived yet is named by id only (names null), not hidden.
    stranger = token_issuer.member(str(uuid.uuid4()))
    unknown = await n.client.post(
        INQUIRIES, json={"category": "general", "subject": "件名", "body": "本文"}, headers=stranger
    )
    unknown_view = await n.client.get(f"{OPS}/{unknown.json()['id']}", headers=ops)

    names = {"id": str(member_id), "organization_name": "株式会社テスト", "name": "名寄 一郎"}
    assert listed.status_code == 200, listed.text
    assert [i["member"] for i in listed.json()["items"]] == [names]
    assert viewed.json()["member"] == names
    assert unknown_view.json()["member"]["organization_name"] is None
    assert unknown_view.json()["member"]["name"] is None


async def test_r26_the_member_replies_to_the_answer_and_ops_see_and_answer_the_thread(
    notification: Any, token_issuer: Any, smtp_sink: Any
) -> None:
    n = notification
    member_id = await n.member(email="thread@example.jp")
    member, ops = token_issuer.member(str(member_id)), token_issuer.ops()
    asked = await n.client.post(
        INQUIRIES,
        json={"category": "general", "subject": "請求", "body": "内訳は？"},
        headers=member,
    )
    inquiry_id = asked.json()["id"]
    first = await n.client.post(
        f"{OPS}/{inquiry_id}/answers", json={"body": "月額です。"}, headers=ops
    )
    assert first.status_code == 201, first.text

    replied = await n.client.post(
        f"{INQUIRIES}/{inquiry_id}/replies", json={"body": "初期費用は？"}, headers=member
    )
    assert replied.status_code == 201, replied.text
    assert replied.json()["status"] == "open"  # awaiting ops again
    assert [(m["author"], m["body"]) for m in replied.json()["messages"]] == [
        ("ops", "月額です。"),
        ("member", "初期費用は？"),
    ]
    awaiting = await n.client.get(OPS, params={"status": "open"}, headers=ops)
    assert inquiry_id in [i["id"] for i in awaiting.json()["items"]]

    again = await n.client.post(
        f"{OPS}/{inquiry_id}/answers", json={"body": "初期費用は不要です。"}, headers=ops
    )
    assert again.status_code == 201, again.text
    thread = (await n.client.get(f"{OPS}/{inquiry_id}", headers=ops)).json()
    assert [(m["author"], m["body"]) for m in thread["messages"]] == [
        ("ops", "月額です。"),
        ("member", "初期費用は？"),
        ("ops", "初期費用は不要です。"),
    ]
    assert thread["messages"][1]["by"] == str(member_id) and thread["status"] == "answered"
    mine = (await n.client.get(f"{INQUIRIES}/{inquiry_id}", headers=member)).json()
    assert [m["author"] for m in mine["messages"]] == ["ops", "member", "ops"]
    assert "by" not in mine["messages"][0]
    # Each answer of ops is emailed; the second one too.
    await smtp_sink.wait_for(lambda m: "初期費用は不要です。" in body_of(m))

    other = token_issuer.member(str(uuid.uuid4()))
    stranger = await n.client.post(
        f"{INQUIRIES}/{inquiry_id}/replies", json={"body": "横から"}, headers=other
    )
    assert stranger.status_code == 404 and stranger.json()["code"] == "inquiry.not_found"
    empty = await n.client.post(
        f"{INQUIRIES}/{inquiry_id}/replies", json={"body": ""}, headers=member
    )
    assert empty.status_code == 422
    await n.client.post(f"{OPS}/{inquiry_id}/close", headers=ops)
    late = await n.client.post(
        f"{INQUIRIES}/{inquiry_id}/replies", json={"body": "追記"}, headers=member
    )
    assert late.status_code == 409 and late.json()["code"] == "inquiry.closed"


async def test_r19_an_inquiry_about_another_members_order_is_404(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    owner = await n.member()
    order_id = str(await n.order(owner))
    intruder = token_issuer.member(str(uuid.uuid4()))
    for headers, candidate in (
        (intruder, order_id),
        (token_issuer.member(str(owner)), str(uuid.uuid4())),
    ):
        refused = await n.client.post(
            INQUIRIES,
            json={"category": "order", "subject": "注文", "body": "本文", "order_id": candidate},
            headers=headers,
        )
        assert refused.status_code == 404, refused.text
        assert refused.json()["code"] == "inquiry.order_not_found"
    assert (await n.client.get(INQUIRIES, headers=intruder)).json()["items"] == []
    own = await n.client.post(
        INQUIRIES,
        json={"category": "order", "subject": "注文", "body": "本文", "order_id": order_id},
        headers=token_issuer.member(str(owner)),
    )
    assert own.status_code == 201 and own.json()["order_id"] == order_id
