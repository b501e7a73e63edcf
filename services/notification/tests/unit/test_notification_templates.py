"""Every email renders in Japanese and English with nothing left unfilled (R27)."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import UndefinedError

from notification.adapters.rendering import EmailRenderer
from notification.domain.emails import TEMPLATES, inquiry_form_path
from servicekit.contact_center import CONTACT_CENTER_HOURS_EN, CONTACT_CENTER_HOURS_JA

ORDER_ID = "0b6f5c1e-8a51-4c0e-9d7c-2f1f3a9b7c11"
SERVICE = {"ja": "クラウドPBX", "en": "Cloud PBX"}
PLAN = {"ja": "スタンダード", "en": "Standard"}
BASE = "https://mall.example"

ORDER = {
    "order_id": ORDER_ID,
    "service_name": SERVICE,
    "plan_name": PLAN,
    "quantity": 3,
    "planned_start_date": "2025-04-01",
    "inquiry_path": inquiry_form_path(ORDER_ID),
}
INVOICE = {
    "invoice_id": "5d1c2a8e-0000-4000-8000-000000000001",
    "invoice_number": "INV-2025-000123",
    "service_name": SERVICE,
    "usage_period_start": "2025-03-01",
    "usage_period_end": "2025-03-31",
    "due_date": "2025-04-30",
    "total": 36300,
    "payment_method": "invoice",
}
CANCELLATION = {
    "contract_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "order_id": ORDER_ID,
    "service_name": SERVICE,
    "plan_name": PLAN,
    "quantity": 10,
    "end_date": "2025-09-30",
    "inquiry_path": inquiry_form_path(ORDER_ID),
}
TOKEN_LINK = f"{BASE}/verify-email?token=plain-token-123"

#: Template → (data, text that must appear in both languages).
SAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "verification": (
        {"link": TOKEN_LINK, "token_expires_at": "2025-04-01T04:00:00+00:00"},
        [TOKEN_LINK],
    ),
    "email_change_confirmation": (
        {
            "new_email": "new@example.jp",
            "link": f"{BASE}/me/email/confirm?token=t",
            "token_expires_at": "2025-04-01T04:00:00+00:00",
        },
        ["new@example.jp", f"{BASE}/me/email/confirm?token=t"],
    ),
    "password_reset": (
        {
            "link": f"{BASE}/password-reset/confirm?token=r",
            "token_expires_at": "2025-04-01T04:00:00Z",
        },
        [f"{BASE}/password-reset/confirm?token=r"],
    ),
    "registration_attempt_existing": (
        {"attempted_at": "2025-04-01T04:00:00+00:00"},
        [f"{BASE}/login"],
    ),
    "document_reviewed": (
        {"decision": "rejected", "reason": "画像が不鮮明です"},
        ["画像が不鮮明です", f"{BASE}/me/identity-documents"],
    ),
    "order_confirmation": (
        {
            **ORDER,
            "status": "received",
            "monthly_fee": 12000,
            "initial_fee": 3000,
            "inquiry_reference": "Q-7F3K2",
            "placed_at": "2025-03-10T05:00:00+00:00",
        },
        [f"{BASE}/inquiries/new?order_id={ORDER_ID}", "12,000", "3,000", "Q-7F3K2"],
    ),
    "order_accepted": (ORDER, [ORDER_ID]),
    "order_on_hold": ({**ORDER, "reason": "ドメイン名の確認待ち"}, ["ドメイン名の確認待ち"]),
    "order_rejected": ({**ORDER, "reason": "書類未提出(30日)"}, ["書類未提出(30日)"]),
    "activation_notice": ({**ORDER, "on_activation": True}, [ORDER_ID]),
    "contract_cancelled": (
        {
            **CANCELLATION,
            "early_termination_fee": 5000,
            "cancelled_by": "ops",
        },
        [ORDER_ID, "5,000", f"{BASE}/inquiries/new?order_id={ORDER_ID}"],
    ),
    "invoice_issued": (
        {**INVOICE, "issue_date": "2025-04-15", "corrects_invoice": False},
        ["INV-2025-000123", "36,300", f"{BASE}/invoices/{INVOICE['invoice_id']}"],
    ),
    "invoice_overdue": (
        {**INVOICE, "amount_due": 10000},
        ["INV-2025-000123", "10,000"],
    ),
    "invoice_debit_failed": (
        {
            **INVOICE,
            "due_date": "2025-05-14",
            "amount_due": 36300,
            "result_code": "1",
            "reason": {"ja": "資金不足", "en": "insufficient funds"},
            "collection_date": "2025-04-28",
            "payee_bank_account": "みずほ銀行 丸の内支店 普通預金 1234567",
        },
        ["INV-2025-000123", "36,300", "みずほ銀行 丸の内支店 普通預金 1234567"],
    ),
    "account_transfer_decided": (
        {"decision": "rejected", "reason": "口座名義の不一致"},
        ["口座名義の不一致"],
    ),
    "inquiry_answer": (
        {"inquiry_id": "9", "subject": "開通日について", "answer": "4月1日に開通します。"},
        ["開通日について", "4月1日に開通します。", f"{BASE}/inquiries/9"],
    ),
    "withdrawal_decided": (
        {
            "decision": "refused",
            "reason": None,
            "blocking_items": [
                {
                    "kind": "contract",
                    "id": "c-1",
                    "service_id": "s-1",
                    "service_name": SERVICE,
                    "ends_on": "2025-06-30",
                }
            ],
        },
        ["c-1"],
    ),
}


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(
        common={
            "base_url": BASE,
            "contact_center_phone": "0120-003300",
            "contact_center_hours": {"ja": CONTACT_CENTER_HOURS_JA, "en": CONTACT_CENTER_HOURS_EN},
        }
    )


def test_r27_every_template_has_sample_data() -> None:
    assert set(SAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_r27_template_renders_with_its_data(
    renderer: EmailRenderer, template: str, language: str
) -> None:
    data, expected = SAMPLES[template]
    email = renderer.render(template, language, {"name": "山田 太郎", **data})  # type: ignore[arg-type]
    assert email.subject and "\n" not in email.subject
    assert "山田 太郎" in email.body
    assert "0120-003300" in email.body  # the contact center in every footer
    # R14: its hours say the days it is closed, in the email's language.
    assert ("年末年始" if language == "ja" else "year-end break") in email.body
    for text in expected:
        assert text in email.body, f"{template}/{language} lacks {text!r}"
    assert "{{" not in email.body and "{%" not in email.body


def test_r27_names_are_shown_in_the_members_language(renderer: EmailRenderer) -> None:
    data, _ = SAMPLES["order_accepted"]
    ja = renderer.render("order_accepted", "ja", {"name": "n", **data})
    en = renderer.render("order_accepted", "en", {"name": "n", **data})
    assert "クラウドPBX" in ja.subject and "Cloud PBX" not in ja.body
    assert "Cloud PBX" in en.subject and "クラウドPBX" not in en.body
    assert "2025年4月1日" in ja.body


def test_r27_a_missing_variable_fails_instead_of_sending_a_blank(
    renderer: EmailRenderer,
) -> None:
    data, _ = SAMPLES["order_on_hold"]
    incomplete = {k: v for k, v in data.items() if k != "reason"}
    with pytest.raises(UndefinedError):
        renderer.render("order_on_hold", "ja", {"name": "n", **incomplete})


@pytest.mark.parametrize(
    ("language", "fee", "by", "expected", "absent"),
    [
        ("ja", 5000, "ops", ["2025年9月30日", "5,000円（不課税）", "コンタクトセンター"], []),
        ("ja", 0, "member", ["2025年9月30日", "解約金：なし"], ["コンタクトセンターへ"]),
        ("en", 5000, "ops", ["30 Sep 2025", "JPY 5,000", "contact center"], []),
        ("en", 0, "member", ["30 Sep 2025", "fee: none"], ["asked our contact"]),
    ],
)
def test_r32_the_cancellation_email_states_the_end_date_and_the_fee(
    renderer: EmailRenderer,
    language: str,
    fee: int,
    by: str,
    expected: list[str],
    absent: list[str],
) -> None:
    data = {**CANCELLATION, "early_termination_fee": fee, "cancelled_by": by}
    email = renderer.render("contract_cancelled", language, {"name": "n", **data})  # type: ignore[arg-type]
    assert ("クラウドPBX" if language == "ja" else "Cloud PBX") in email.subject
    for text in expected:
        assert text in email.body, text
    for text in absent:
        assert text not in email.body, text
