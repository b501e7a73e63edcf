"""Billing end to end inside the service: accounts and payment methods (R21), the monthly
run (R22, R23), qualified-invoice content and PDFs (R24, R25), payments and corrections."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from pypdf import PdfReader

from billing.service_layer.invoices import mark_overdue
from bizmall_events import MemberProfile, MemberProfileChanged
from servicekit.clock import japan_today

TRANSFER = {
    "bank_code": "0005",
    "branch_code": "123",
    "account_type": "ordinary",
    "account_number": "7654321",
    "holder_name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ",
}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_r21_account_opens_on_invoice_payment_and_keeps_the_newest_profile(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    response = await billing.client.get(
        "/api/v1/billing/account", headers=billing.member(member_id)
    )
    assert response.status_code == 200, response.text
    assert response.json()["payment_method"] == "invoice"
    assert response.json()["account_transfer"] is None

    profile = MemberProfile(
        status="active",
        entity_type="corporation",
        name="新 名前",
        organization_name="新社名",
        postal_code="1500001",
        address="東京都渋谷区神宮前1-1",
        contact_email="a@example.jp",
        language="ja",
    )
    await billing.deliver(
        MemberProfileChanged(member_id=member_id, aggregate_version=3, profile=profile)
    )
    stale = profile.model_copy(update={"organization_name": "古い社名"})
    await billing.deliver(
        MemberProfileChanged(member_id=member_id, aggregate_version=2, profile=stale)
    )
    name = await billing.scalar(
        "SELECT organization_name FROM billing_account WHERE member_id = :m", m=member_id
    )
    assert name == "新社名"


@pytest.mark.parametrize(
    "body",
    [{"payment_method": "credit_card"}, {"card_number": "4111111111111111", "cvc": "123"}],
)
async def test_r21_credit_cards_are_refused_explaining_the_two_methods(
    billing: Any, body: dict[str, Any]
) -> None:
    member_id = await billing.verify_member()
    for language, expected in (("ja", "口座振替"), ("en", "account transfer")):
        response = await billing.client.patch(
            "/api/v1/billing/account",
            json=body,
            headers={**billing.member(member_id), "Accept-Language": language},
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "billing.credit_card_not_accepted"
        assert expected in problem["detail"]
        assert "4111" not in response.text


async def test_r21_account_transfer_is_applied_for_not_patched(billing: Any) -> None:
    member_id = await billing.verify_member()
    response = await billing.client.patch(
        "/api/v1/billing/account",
        json={"payment_method": "account_transfer"},
        headers=billing.member(member_id),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "billing.apply_for_account_transfer"


async def test_r21_transfer_application_is_validated_and_stored_sealed(billing: Any) -> None:
    member_id = await billing.verify_member()
    billing.pin(date(2026, 4, 1))
    bad = {**TRANSFER, "bank_code": "05", "holder_name_kana": "山田太郎"}
    response = await billing.client.post(
        "/api/v1/billing/account-transfer", json=bad, headers=billing.member(member_id)
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.bank_code", "body.holder_name_kana"}

    response = await billing.client.post(
        "/api/v1/billing/account-transfer", json=TRANSFER, headers=billing.member(member_id)
    )
    assert response.status_code == 201, response.text
    applied = response.json()
    assert applied["status"] == "applied"
    assert applied["account_number_masked"] == "****321"
    assert applied["expected_completion_date"] == "2026-06-01"
    sealed = await billing.scalar(
        "SELECT sealed_details FROM billing_account_transfer WHERE id = :i", i=applied["id"]
    )
    assert "7654321" not in sealed and "ﾔﾏﾀﾞ" not in sealed
    account = await billing.client.get("/api/v1/billing/account", headers=billing.member(member_id))
    assert account.json()["payment_method"] == "invoice"
    assert account.json()["account_transfer"]["status"] == "applied"


async def completed_runs(billing: Any) -> float:
    """``bizmall_billing_run_duration_seconds_count`` of the billing API's /metrics."""
    scrape = await billing.client.get("/metrics")
    assert scrape.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(scrape.text)
        for sample in family.samples
        if sample.name == "bizmall_billing_run_duration_seconds_count"
    )


async def test_r22_one_invoice_per_member_service_and_month(billing: Any) -> None:
    member_id = await billing.verify_member()
    fiber = uuid.uuid4()
    await billing.activate(member_id, service_id=fiber, start=date(2026, 4, 15), quantity=2)
    await billing.activate(
        member_id, service_id=fiber, start=date(2026, 4, 1), monthly_fee=1000, initial_fee=0
    )
    await billing.activate(member_id, start=date(2026, 4, 1), service_name="メール")
    billing.pin(date(2026, 5, 15))
    runs_before = await completed_runs(billing)

    first = await billing.run("2026-04")
    assert first["issue_date"] == "2026-05-15"
    assert first["invoices_issued"] >= 2
    again = await billing.run("2026-04")
    assert again["invoices_issued"] == 0
    # Each run's duration is in the API's /metrics (issue 10: billing-run duration).
    assert await completed_runs(billing) == runs_before + 2

    items = await billing.invoices_of(member_id)
    assert len(items) == 2
    assert {i["service_id"] for i in items} == {str(fiber), *(i["service_id"] for i in items)}
    shared = next(i for i in items if i["service_id"] == str(fiber))
    detail = (
        await billing.client.get(
            f"/api/v1/invoices/{shared['id']}", headers=billing.member(member_id)
        )
    ).json()
    # 3000 × 2 × 16/30 = 3200 (日割り) + 5000 initial fee + 1000 full month.
    assert sorted(line["amount"] for line in detail["lines"]) == [1000, 3200, 5000]
    assert detail["taxable_subtotal"] == 9200
    assert detail["tax"] == 920
    assert detail["total"] == 10120
    assert detail["due_date"] == "2026-05-31"
    assert detail["payment_method"] == "invoice"
    assert detail["issuer"]["registration_number"] == billing.settings.issuer_registration_number
    assert detail["recipient"]["organization_name"] == "山田商事株式会社"

    events = [
        e
        for e in await billing.outbox("billing.invoice.issued")
        if e["member_id"] == str(member_id)
    ]
    assert sorted(e["invoice_id"] for e in events) == sorted(i["id"] for i in items)
    assert {e["total"] for e in events} == {i["total"] for i in items}


async def test_r23_free_first_month_then_initial_fee_on_the_next_invoice(billing: Any) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2026, 4, 10), free_first_month=True)
    billing.pin(date(2026, 6, 15))
    await billing.run("2026-04")
    assert await billing.invoices_of(member_id) == []
    await billing.run("2026-05")
    (may,) = await billing.invoices_of(member_id)
    assert may["total"] == (3000 + 5000) * 11 // 10


async def test_r20_final_invoice_carries_the_termination_fee_outside_tax(billing: Any) -> None:
    member_id = await billing.verify_member()
    contract = await billing.activate(member_id, start=date(2026, 1, 1), initial_fee=0)
    await billing.cancel(contract, end=date(2026, 2, 14), fee=20000)
    billing.pin(date(2026, 3, 15))
    await billing.run("2026-02")
    (final,) = await billing.invoices_of(member_id)
    detail = (
        await billing.client.get(
            f"/api/v1/invoices/{final['id']}", headers=billing.member(member_id)
        )
    ).json()
    assert detail["taxable_subtotal"] == 3000 * 14 // 28
    assert detail["non_taxable_subtotal"] == 20000
    assert detail["tax"] == 150
    assert detail["total"] == 1500 + 150 + 20000
    assert {t["category"]: t["subtotal"] for t in detail["tax_subtotals"]} == {
        "10%": 1500,
        "non_taxable": 20000,
    }


async def _transfer_member(billing: Any, *, complete: bool) -> uuid.UUID:
    member_id = await billing.verify_member()
    response = await billing.client.post(
        "/api/v1/billing/account-transfer", json=TRANSFER, headers=billing.member(member_id)
    )
    assert response.status_code == 201, response.text
    if complete:
        done = await billing.client.post(
            f"/api/v1/ops/billing/account-transfers/{response.json()['id']}/complete",
            headers=billing.ops_headers(),
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
    return member_id


async def test_r21_invoice_method_applied_vs_completed_vs_service_without_transfer(
    billing: Any,
) -> None:
    applied = await _transfer_member(billing, complete=False)
    completed = await _transfer_member(billing, complete=True)
    for member_id in (applied, completed):
        await billing.activate(member_id, start=date(2026, 6, 1), service_name="回線")
        await billing.activate(
            member_id, start=date(2026, 6, 1), allows_account_transfer=False, service_name="保守"
        )
    billing.pin(date(2026, 7, 15))
    await billing.run("2026-06")
    methods = {
        member_id: sorted(i["payment_method"] for i in await billing.invoices_of(member_id))
        for member_id in (applied, completed)
    }
    assert methods[applied] == ["invoice", "invoice"]
    assert methods[completed] == ["account_transfer", "invoice"]

    decided = [
        e
        for e in await billing.outbox("billing.account_transfer.decided")
        if e["member_id"] == str(completed)
    ]
    assert [e["decision"] for e in decided] == ["completed"]
    audited = await billing.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'billing.account_transfer.completed'"
        " AND member_id = CAST(:m AS uuid)",
        m=str(completed),
    )
    assert audited == 1

    # R35: the transfer invoice is debited on its transfer date (2026-07-27, a Monday),
    # but only the bank's result marks it paid (test_billing_collection.py).
    transfer_invoice = next(
        i for i in await billing.invoices_of(completed) if i["payment_method"] == "account_transfer"
    )
    assert transfer_invoice["due_date"] == "2026-07-27"
    after = {i["id"]: i for i in await billing.invoices_of(completed)}
    assert after[transfer_invoice["id"]]["status"] == "issued"

    pdf = await billing.client.get(
        f"/api/v1/invoices/{transfer_invoice['id']}/pdf", headers=billing.member(completed)
    )
    text = pdf_text(pdf.content)
    assert "口座振替のお知らせ" in text and "領収証" in text and "振替日" in text
    assert "お振込先" not in text


async def test_r24_r25_pdf_shows_the_qualified_invoice_and_receipt_slip(billing: Any) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2026, 8, 11), monthly_fee=3100, quantity=3)
    billing.pin(date(2026, 9, 15))
    await billing.run("2026-08")
    (item,) = await billing.invoices_of(member_id)
    response = await billing.client.get(
        f"/api/v1/invoices/{item['id']}/pdf", headers=billing.member(member_id)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    prorated = 3100 * 3 * 21 // 31
    taxable = prorated + 5000
    tax = taxable // 10
    assert billing.settings.issuer_registration_number in text
    assert item["invoice_number"] in text
    for amount in (prorated, 5000, taxable, tax, taxable + tax):
        assert f"¥{amount:,}" in text
    assert "消費税（10%）" in text
    assert "2026年08月11日〜2026年08月31日" in text
    assert "請求日 2026年09月15日" in text
    assert "領収証" in text and "キリトリ" in text
    assert billing.settings.payee_bank_account in text
    assert billing.settings.billing_inquiry_phone in text
    assert "山田商事株式会社 御中" in text


async def test_r24_invoices_are_own_only(billing: Any) -> None:
    owner = await billing.verify_member()
    other = await billing.verify_member()
    await billing.activate(owner, start=date(2026, 8, 1))
    billing.pin(date(2026, 9, 15))
    await billing.run("2026-08")
    (item,) = await billing.invoices_of(owner)
    assert await billing.invoices_of(other) == []
    for path in (f"/api/v1/invoices/{item['id']}", f"/api/v1/invoices/{item['id']}/pdf"):
        response = await billing.client.get(path, headers=billing.member(other))
        assert response.status_code == 404
        assert response.json()["code"] == "billing.invoice_not_found"


async def test_r24_partial_payments_add_up_and_unpaid_invoices_become_overdue(
    billing: Any,
) -> None:
    payer, late = await billing.verify_member(), await billing.verify_member()
    for member_id in (payer, late):
        await billing.activate(member_id, start=date(2026, 10, 1), initial_fee=0)
    billing.pin(date(2026, 11, 15))
    await billing.run("2026-10")
    (paying,) = await billing.invoices_of(payer)
    (unpaid,) = await billing.invoices_of(late)
    url = f"/api/v1/ops/billing/invoices/{paying['id']}/payments"
    half = await billing.client.post(
        url, json={"amount": 1000, "paid_on": "2026-11-25"}, headers=billing.ops_headers()
    )
    assert half.json()["status"] == "issued" and half.json()["paid_amount"] == 1000
    rest = await billing.client.post(
        url, json={"amount": 2300, "paid_on": "2026-11-26"}, headers=billing.ops_headers()
    )
    assert rest.json()["status"] == "paid" and rest.json()["paid_amount"] == 3300

    async with billing.runtime.uow() as uow:
        await mark_overdue(uow=uow, today=date(2026, 12, 1))
    statuses = {i["id"]: i["status"] for i in await billing.invoices_of(late)}
    assert statuses[unpaid["id"]] == "overdue"
    assert (await billing.invoices_of(payer))[0]["status"] == "paid"
    overdue = [
        e
        for e in await billing.outbox("billing.invoice.overdue")
        if e["invoice_id"] == unpaid["id"]
    ]
    assert [e["amount_due"] for e in overdue] == [3300]


async def test_r24_issued_invoices_never_change_a_correction_voids_and_reissues(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2026, 10, 1), initial_fee=0)
    billing.pin(date(2026, 11, 15))
    await billing.run("2026-10")
    (original,) = await billing.invoices_of(member_id)

    async with billing.runtime.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError, match="never changes"):
            await conn.execute(
                sa.text("UPDATE invoice SET total = 1 WHERE id = :i"), {"i": original["id"]}
            )

    response = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{original['id']}/correct",
        json={
            "reason": "数量の誤り",
            "lines": [
                {"label_ja": "光回線 月額", "label_en": "Fiber", "quantity": 2, "unit_price": 3000}
            ],
        },
        headers=billing.ops_headers(),
    )
    assert response.status_code == 201, response.text
    corrected = response.json()
    assert corrected["corrects_invoice_id"] == original["id"]
    assert corrected["total"] == 6600
    assert corrected["invoice_number"] != original["invoice_number"]
    statuses = {i["id"]: i["status"] for i in await billing.invoices_of(member_id)}
    assert statuses == {original["id"]: "void", corrected["id"]: "issued"}
    today = japan_today(billing.runtime.clock())
    assert corrected["issue_date"] == today.isoformat()


async def test_ops_runs_refuse_a_month_that_has_not_ended(billing: Any) -> None:
    billing.pin(date(2026, 5, 15))
    response = await billing.client.post(
        "/api/v1/ops/billing/runs", json={"month": "2026-05"}, headers=billing.ops_headers()
    )
    assert response.status_code == 422
    assert response.json()["code"] == "billing.month_not_ended"
    # A month before the business-day calendar's years is refused as input, not a 500.
    for month in ("0000-11", "1948-05"):
        ancient = await billing.client.post(
            "/api/v1/ops/billing/runs", json={"month": month}, headers=billing.ops_headers()
        )
        assert (ancient.status_code, ancient.json()["code"]) == (422, "request.invalid"), month
    member = await billing.client.post(
        "/api/v1/ops/billing/runs",
        json={"month": "2026-04"},
        headers=billing.member(uuid.uuid4()),
    )
    assert member.status_code == 403


async def test_r22_consolidated_mailing_marked_by_ops_appears_on_invoices(billing: Any) -> None:
    member_id = await billing.verify_member()
    response = await billing.client.put(
        f"/api/v1/ops/billing/accounts/{member_id}/consolidated-mailing",
        json={"consolidated_mailing": True},
        headers=billing.ops_headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["consolidated_mailing"] is True
    await billing.activate(member_id, start=date(2026, 12, 1))
    billing.pin(date(2027, 1, 15))
    await billing.run("2026-12")
    (item,) = await billing.invoices_of(member_id)
    assert item["consolidated_mailing"] is True
    pdf = await billing.client.get(
        f"/api/v1/invoices/{item['id']}/pdf", headers=billing.member(member_id)
    )
    assert "おまとめ送付" in pdf_text(pdf.content)
