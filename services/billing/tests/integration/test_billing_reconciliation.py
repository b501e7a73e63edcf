"""Deposit reconciliation through the API on real PostgreSQL (R36): a statement's lines
matched by reference and by amount + payer kana (width and small kana ignored),
partial and overpaid payments, ambiguous and unmatched lines, the same file twice,
a Shift_JIS file, manual matching, and a bad file refused whole. Audited (R29)."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import date
from typing import Any

import pytest

from billing.domain.invoice import Invoice, InvoiceLine

URL = "/api/v1/ops/billing/bank-statements"
HEADER = "value_date,amount,payer_kana,reference\n"
_NUMBERS = itertools.count(random.randrange(1, 900_000))
# Katakana without small kana or voiced marks, for names unique to each test.
_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ"


def csv_of(*rows: str, encoding: str = "utf-8") -> bytes:
    return (HEADER + "".join(f"{r}\r\n" for r in rows)).encode(encoding)


def unique_kana() -> str:
    """A member name kana no other test uses (the module shares one database)."""
    return "".join(random.choice(_KANA) for _ in range(10))


def half_width(kana: str) -> str:
    """``kana`` as a bank prints it: half-width, a space in the middle."""
    table = str.maketrans(_KANA, "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾗﾘﾙﾚﾛ")
    text = kana.translate(table)
    return f"{text[:4]} {text[4:]}"


async def member(billing: Any, name_kana: str) -> uuid.UUID:
    """A verified member whose profile carries ``name_kana`` (identity's event)."""
    member_id: uuid.UUID = await billing.verify_member(name_kana=name_kana)
    return member_id


async def issue(billing: Any, member_id: uuid.UUID, total: int) -> Invoice:
    """An issued (non-taxable, so exact) invoice of ``total`` with a fresh number."""
    number = f"2031-{next(_NUMBERS):06d}"
    invoice = Invoice.issue(
        number=number,
        issuer={"name": "BizMall"},
        issuer_registration_number="T1234567890123",
        member_id=member_id,
        service_id=uuid.uuid4(),
        service_name={"ja": "光回線", "en": "Fibre"},
        usage_month=date(2026, 4, 1),
        period=(date(2026, 4, 1), date(2026, 4, 30)),
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 31),
        payment_method="invoice",
        lines=[
            InvoiceLine(
                position=1,
                contract_id=None,
                kind="monthly_fee",
                plan_name={"ja": "月額", "en": "Monthly"},
                quantity=1,
                unit_price=total,
                amount=total,
                taxable=False,
            )
        ],
        recipient={"name": "山田 太郎"},
        consolidated_mailing=False,
        now=billing.runtime.clock(),
    )
    async with billing.runtime.uow() as uow:
        await uow.invoices.add(invoice)
        await uow.commit()
    return invoice


async def upload(billing: Any, content: bytes, status: int = 201, **headers: str) -> Any:
    response = await billing.client.post(
        URL,
        content=content,
        params={"file_name": "statement.csv"},
        headers={**billing.ops_headers(), "Content-Type": "text/csv", **headers},
    )
    assert response.status_code == status, response.text
    return response.json()


async def invoice_state(billing: Any, invoice: Invoice) -> tuple[str, int]:
    response = await billing.client.get(
        f"/api/v1/ops/billing/invoices/{invoice.id}", headers=billing.ops_headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["status"], body["paid_amount"]


async def payments(billing: Any) -> int:
    return int(await billing.scalar("SELECT count(*) FROM invoice_payment"))


async def test_r36_a_statement_is_matched_line_by_line(billing: Any) -> None:
    kyoko_tail = unique_kana()
    yamada_kana, kyoko_kana, twins_kana = unique_kana(), f"キョウコ　{kyoko_tail}", unique_kana()
    yamada = await member(billing, yamada_kana)
    kyoko = await member(billing, kyoko_kana)
    twins = await member(billing, twins_kana)
    by_reference = await issue(billing, yamada, 5500)
    by_kana = await issue(billing, kyoko, 3300)
    partly = await issue(billing, yamada, 10000)
    over = await issue(billing, yamada, 2000)
    first_twin, second_twin = await issue(billing, twins, 4400), await issue(billing, twins, 4400)

    body = await upload(
        billing,
        csv_of(
            f"2026-05-20,5500,ﾍﾞﾂｼﾞﾝ,ｾｲｷﾕｳ {by_reference.invoice_number}",
            # Half width, ﾖ for the small ョ, other spaces: still the member's kana.
            f"2026-05-20,3300,ｷﾖｳｺ{half_width(kyoko_tail)},",
            f"2026-05-21,4000,ﾔﾏﾀﾞ,{partly.invoice_number}",
            f'2026-05-21,"2,500",ﾔﾏﾀﾞ,{over.invoice_number}',
            f"2026-05-22,4400,{half_width(twins_kana)},",
            "2026-05-22,123456,ﾀﾞﾚﾃﾞｽｶ,ﾌﾒｲ",
        ),
    )

    assert body["already_imported"] is False
    assert body["encoding"] == "utf-8"
    lines = body["lines"]
    outcomes = [(x["status"], x["method"], x["invoice_id"], x["settlement"]) for x in lines]
    assert outcomes == [
        ("matched", "reference", str(by_reference.id), "full"),
        ("matched", "amount_and_kana", str(by_kana.id), "full"),
        ("matched", "reference", str(partly.id), "partial"),
        ("matched", "reference", str(over.id), "overpaid"),
        ("ambiguous", None, None, None),
        ("unmatched", None, None, None),
    ]
    assert lines[3]["overpaid_amount"] == 500
    assert lines[0]["invoice_number"] == by_reference.invoice_number
    assert set(lines[4]["candidate_invoice_ids"]) == {str(first_twin.id), str(second_twin.id)}
    assert [x["file_line"] for x in lines] == [2, 3, 4, 5, 6, 7]
    assert body["counts"] == {
        "lines": 6,
        "matched": 4,
        "unmatched": 1,
        "ambiguous": 1,
        "duplicate": 0,
        "overpaid": 1,
        "partial": 1,
    }
    assert await invoice_state(billing, by_reference) == ("paid", 5500)
    assert await invoice_state(billing, by_kana) == ("paid", 3300)
    assert await invoice_state(billing, partly) == ("issued", 4000)
    assert await invoice_state(billing, over) == ("paid", 2500)
    assert await invoice_state(billing, first_twin) == ("issued", 0)
    paid_on = await billing.scalar(
        "SELECT paid_on FROM invoice_payment WHERE invoice_id = :i", i=by_kana.id
    )
    assert paid_on == date(2026, 5, 20)

    audited = await billing.scalar(
        "SELECT details FROM audit_log WHERE action = 'billing.bank_statement.imported'"
        " AND target = :t",
        t=body["id"],
    )
    assert (audited["matched"], audited["unmatched"], audited["ambiguous"]) == (4, 1, 1)
    recorded = await billing.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'billing.invoice.payment_recorded'"
        " AND details->>'statement_id' = :s",
        s=body["id"],
    )
    assert recorded == 4

    listed = await billing.client.get(URL, headers=billing.ops_headers())
    assert listed.status_code == 200
    mine = next(x for x in listed.json()["items"] if x["id"] == body["id"])
    assert mine["counts"] == body["counts"]
    shown = await billing.client.get(f"{URL}/{body['id']}", headers=billing.ops_headers())
    assert shown.json()["lines"] == lines


async def test_r36_the_same_file_twice_records_nothing_new(billing: Any) -> None:
    kana = unique_kana()
    invoice = await issue(billing, await member(billing, kana), 8800)
    content = csv_of(f"2026-05-20,8800,{half_width(kana)},")

    first = await upload(billing, content)
    before = await payments(billing)
    again = await upload(billing, content, status=200)

    assert again["already_imported"] is True
    assert again["id"] == first["id"]
    assert again["lines"] == first["lines"]
    assert await payments(billing) == before
    assert await invoice_state(billing, invoice) == ("paid", 8800)
    statements = await billing.scalar(
        "SELECT count(*) FROM bank_statement WHERE file_sha256 = :h", h=first["file_sha256"]
    )
    assert statements == 1


async def test_r36_a_shift_jis_file_overlapping_an_import_adds_only_its_new_lines(
    billing: Any,
) -> None:
    tail = unique_kana()
    member_id = await member(billing, f"ショウジ{tail}")
    invoice = await issue(billing, member_id, 3000)
    payer = f"ｼﾖｳｼﾞ{half_width(tail)}"
    first = await upload(billing, csv_of(f"2026-05-20,1000,{payer},{invoice.invoice_number}"))

    body = await upload(
        billing,
        csv_of(
            f"2026-05-20,1000,{payer},{invoice.invoice_number}",
            f"2026-05-25,2000,{payer},",
            encoding="shift_jis",
        ),
    )

    assert body["encoding"] == "shift_jis"
    duplicate, new = body["lines"]
    assert (duplicate["status"], duplicate["duplicate_of"]) == (
        "duplicate",
        first["lines"][0]["id"],
    )
    assert duplicate["payer_kana"] == payer
    # The open balance (2000) and the payer kana match the rest of the invoice.
    assert (new["status"], new["method"], new["invoice_id"]) == (
        "matched",
        "amount_and_kana",
        str(invoice.id),
    )
    assert await invoice_state(billing, invoice) == ("paid", 3000)


async def test_r36_ops_match_a_waiting_line_by_hand(billing: Any) -> None:
    invoice = await issue(billing, await member(billing, unique_kana()), 6600)
    body = await upload(billing, csv_of("2026-05-20,6600,ｿﾉﾀ ﾀﾆﾝ,"))
    [line] = body["lines"]
    # Unmatched; the open invoices of exactly its amount are hints for the manual match.
    assert line["status"] == "unmatched"
    assert str(invoice.id) in line["candidate_invoice_ids"]
    match_url = f"{URL}/{body['id']}/lines/{line['id']}/match"
    actor = f"ops-{uuid.uuid4().hex[:8]}"

    unknown_invoice = await billing.client.post(
        match_url, json={"invoice_id": str(uuid.uuid4())}, headers=billing.tokens.ops(actor)
    )
    assert unknown_invoice.status_code == 404
    assert unknown_invoice.json()["code"] == "billing.invoice_not_found"
    matched = await billing.client.post(
        match_url, json={"invoice_id": str(invoice.id)}, headers=billing.tokens.ops(actor)
    )
    assert matched.status_code == 200, matched.text
    [done] = matched.json()["lines"]
    assert (done["status"], done["method"], done["invoice_id"], done["matched_by"]) == (
        "matched",
        "manual",
        str(invoice.id),
        actor,
    )
    assert await invoice_state(billing, invoice) == ("paid", 6600)

    again = await billing.client.post(
        match_url, json={"invoice_id": str(invoice.id)}, headers=billing.ops_headers()
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "billing.statement_line_matched"
    for url in (
        f"{URL}/{body['id']}/lines/{uuid.uuid4()}/match",
        f"{URL}/{uuid.uuid4()}/lines/{line['id']}/match",
    ):
        missing = await billing.client.post(
            url, json={"invoice_id": str(invoice.id)}, headers=billing.ops_headers()
        )
        assert missing.status_code == 404
    unknown = await billing.client.get(f"{URL}/{uuid.uuid4()}", headers=billing.ops_headers())
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "billing.statement_not_found"
    audited = await billing.scalar(
        "SELECT actor FROM audit_log WHERE action = 'billing.bank_statement.line_matched'"
        " AND target = :t",
        t=line["id"],
    )
    assert audited == actor
    assert (
        await billing.scalar(
            "SELECT count(*) FROM invoice_payment WHERE invoice_id = :i", i=invoice.id
        )
        == 1
    )


#: Bad files; ``{good}`` is a good line paying the test's invoice, before the bad one.
BAD_FILES = {
    "amount": (HEADER + "{good}\r\n2026-05-20,x,B,\r\n", 3, "amount"),
    "date": (HEADER + "{good}\r\n2026-02-30,100,A,\r\n", 3, "value_date"),
    "header": ("date,amount,payer_kana,reference\r\n{good}\r\n", 1, "value_date"),
    "missing": (HEADER + "{good}\r\n,100,A,\r\n", 3, "value_date"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_r36_a_bad_file_is_refused_whole_naming_line_and_column(
    billing: Any, case: str
) -> None:
    template, line, column = BAD_FILES[case]
    kana = unique_kana()
    invoice = await issue(billing, await member(billing, kana), 100)
    statements = await billing.scalar("SELECT count(*) FROM bank_statement")
    content = template.format(good=f"2026-05-20,100,{half_width(kana)},").encode()

    response = await billing.client.post(
        URL,
        content=content,
        headers={**billing.ops_headers(), "Content-Type": "text/csv", "Accept-Language": "en"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "billing.statement_invalid"
    assert (problem["line"], problem["column"]) == (line, column)
    assert f"line {line}, column {column}" in problem["detail"]
    assert await billing.scalar("SELECT count(*) FROM bank_statement") == statements
    assert await invoice_state(billing, invoice) == ("issued", 0)


async def test_r36_statements_are_for_ops_and_take_a_csv_body(billing: Any) -> None:
    member_id = await billing.verify_member()
    refused = await billing.client.post(
        URL,
        content=csv_of("2026-05-20,100,A,"),
        headers={**billing.member(member_id), "Content-Type": "text/csv"},
    )
    assert refused.status_code == 403
    assert (await billing.client.get(URL, headers=billing.member(member_id))).status_code == 403
    form = await billing.client.post(
        URL,
        files={"file": ("s.csv", csv_of("2026-05-20,100,A,"), "text/csv")},
        headers=billing.ops_headers(),
    )
    assert form.status_code == 415
    assert form.json()["code"] == "billing.statement_not_csv"
