"""Identity documents through the HTTP API (R12, R29)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from identity.service_layer.documents import purge_reviewed_files

UPLOAD = "/api/v1/me/identity-documents"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30


async def _sole_proprietor(identity: Any, client: Any) -> dict[str, Any]:
    return await identity.register_and_verify(
        client, entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
    )


async def test_r12_upload_is_recognised_by_content_and_stored_encrypted(identity: Any) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)
        # A PDF named like a picture is still a PDF; a text file named .png is refused.
        pdf = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "drivers_license"},
            files={"file": ("photo.png", PDF, "image/png")},
        )
        fake = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "passport"},
            files={"file": ("scan.png", b"just some text, not an image", "image/png")},
        )
        listed = await client.get(UPLOAD, headers=member["headers"])
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["content_type"] == "application/pdf" and pdf.json()["status"] == "pending"
    assert "マイナンバーカードの裏面" in pdf.json()["warning"]["ja"]
    assert fake.status_code == 415 and fake.json()["code"] == "document.unsupported_type"
    assert [d["status"] for d in listed.json()["items"]] == ["pending"]
    raw = await identity.adapters.documents.raw(uuid.UUID(pdf.json()["id"]))
    assert b"%PDF" not in raw and len(raw) > len(PDF)


async def test_r12_size_limit_and_corporations_refused(identity: Any) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)
        corporation = await identity.register_and_verify(client)
        too_big = PNG + b"\x00" * (identity.settings.document_max_bytes)
        big = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "other"},
            files={"file": ("a.png", too_big, "image/png")},
        )
        corp = await client.post(
            UPLOAD,
            headers=corporation["headers"],
            data={"document_type": "other"},
            files={"file": ("a.png", PNG, "image/png")},
        )
        bad_type = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "my_number_card_back"},
            files={"file": ("a.png", PNG, "image/png")},
        )
    assert big.status_code == 413 and big.json()["code"] == "document.too_large"
    assert corp.status_code == 403
    assert bad_type.status_code == 422


async def test_r12_ops_review_is_audited_and_published(identity: Any) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)
        ops = await identity.ops_headers(client)
        uploaded = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "my_number_card_front"},
            files={"file": ("front.png", PNG, "image/png")},
        )
        document_id = uploaded.json()["id"]
        member_download = await client.get(
            f"/api/v1/ops/identity/documents/{document_id}/file", headers=member["headers"]
        )
        pending = await client.get("/api/v1/ops/identity/documents", headers=ops)
        download = await client.get(
            f"/api/v1/ops/identity/documents/{document_id}/file", headers=ops
        )
        no_reason = await client.post(
            f"/api/v1/ops/identity/documents/{document_id}/review",
            headers=ops,
            json={"decision": "rejected"},
        )
        rejected = await client.post(
            f"/api/v1/ops/identity/documents/{document_id}/review",
            headers=ops,
            json={"decision": "rejected", "reason": "写真が不鮮明です"},
        )
        twice = await client.post(
            f"/api/v1/ops/identity/documents/{document_id}/review",
            headers=ops,
            json={"decision": "approved"},
        )
        own = await client.get(UPLOAD, headers=member["headers"])
    assert member_download.status_code == 403
    assert document_id in {d["id"] for d in pending.json()["items"]}
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert no_reason.status_code == 422
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert twice.status_code == 409
    assert own.json()["items"][0]["reason"] == "写真が不鮮明です"
    events = [
        e
        for e in await identity.events("identity.document.reviewed")
        if e["document_id"] == document_id
    ]
    assert [(e["decision"], e["reason"]) for e in events] == [("rejected", "写真が不鮮明です")]
    async with identity.runtime.engine.connect() as conn:
        actions = set(
            (
                await conn.execute(
                    text("SELECT action FROM audit_log WHERE target = :t"),
                    {"t": f"document:{document_id}"},
                )
            ).scalars()
        )
    assert actions == {"document.viewed", "document.rejected"}


async def test_r12_files_are_deleted_after_retention_and_the_record_kept(identity: Any) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)
        ops = await identity.ops_headers(client)
        uploaded = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "passport"},
            files={"file": ("p.pdf", PDF, "application/pdf")},
        )
        document_id = uploaded.json()["id"]
        await client.post(
            f"/api/v1/ops/identity/documents/{document_id}/review",
            headers=ops,
            json={"decision": "approved"},
        )
        reviewed_long_ago = datetime.now(UTC) - timedelta(days=91)
        await identity.sql(
            "UPDATE identity_documents SET reviewed_at = :at WHERE id = :d",
            at=reviewed_long_ago,
            d=document_id,
        )
        purged = await purge_reviewed_files(
            uow=identity.uow(),
            store=identity.adapters.documents,
            retention_days=identity.settings.document_retention_days,
        )
        gone = await client.get(f"/api/v1/ops/identity/documents/{document_id}/file", headers=ops)
        own = await client.get(UPLOAD, headers=member["headers"])
    assert purged >= 1
    assert gone.status_code == 404
    record = next(d for d in own.json()["items"] if d["id"] == document_id)
    assert record["status"] == "approved" and record["file_deleted"] is True


async def test_r30_the_ops_review_list_names_each_document_s_organization_and_person(
    identity: Any,
) -> None:
    async with identity.client() as client:
        member = await _sole_proprietor(identity, client)
        ops = await identity.ops_headers(client)
        uploaded = await client.post(
            UPLOAD,
            headers=member["headers"],
            data={"document_type": "passport"},
            files={"file": ("p.png", PNG, "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        pending = await client.get("/api/v1/ops/identity/documents", headers=ops)
    assert pending.status_code == 200, pending.text
    listed = next(d for d in pending.json()["items"] if d["id"] == uploaded.json()["id"])
    assert listed["member_id"] == str(member["member_id"])
    assert listed["member"]["id"] == str(member["member_id"])
    assert listed["member"]["organization_name"] == "山田商店"
    assert listed["member"]["name"] == member["body"]["name"]
