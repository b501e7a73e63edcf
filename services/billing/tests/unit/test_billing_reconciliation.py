"""Deposit reconciliation (R36): the matching rules and the import/match handlers on the
fake unit of work — by reference, by amount + payer kana (width and small kana
ignored), partial, overpaid, ambiguous, unmatched, the same file twice, manual
matching and bad files. No database."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from billing.domain.bank_statement import (
    LineAlreadyMatched,
    StatementInvalid,
    StatementLineNotFound,
    parse_statement,
)
from billing.domain.errors import InvoiceNotFound
from billing.domain.invoice import Invoice, InvoiceLine
from billing.domain.reconciliation import (
    OpenInvoice,
    decide,
    invoice_numbers_in,
    payer_key,
    settlement_of,
)
from billing.service_layer import reconciliation

from .conftest import Desk, jst

OPS = "ops-1"
HEADER = "value_date,amount,payer_kana,reference\n"


def csv_of(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(f"{r}\n" for r in rows)).encode(encoding)


def open_invoice(amount_due: int, key: str = "ヤマダタロウ", **kw: Any) -> OpenInvoice:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "invoice_number": "2026-000001",
        "amount_due": amount_due,
        "payer_key": key,
        "status": "issued",
    }
    return OpenInvoice(**{**values, **kw})


# --- the pure rules -------------------------------------------------------------------


def test_r36_payer_kana_is_compared_ignoring_width_small_kana_spaces_and_legal_marks() -> None:
    assert payer_key("ﾔﾏﾀﾞ ﾀﾛｳ") == payer_key("ヤマダ　タロウ") == payer_key("やまだたろう")
    # Bank payer names have no small kana: ｷﾔﾉﾝ is キャノン.
    assert payer_key("ｷﾔﾉﾝ") == payer_key("キャノン")
    assert payer_key("ｧｨｩｪｫｯｬｭｮ") == payer_key("アイウエオツヤユヨ")
    assert payer_key("ｶ)ﾋﾞｽﾞﾓ-ﾙ") == payer_key("ビズモール（カ") == "ビズモール"
    assert payer_key("ﾔﾏﾀﾞ") != payer_key("ﾔﾏﾀﾞﾀﾛｳ")
    assert payer_key(None) == payer_key("  ") == ""


def test_r36_invoice_numbers_are_read_from_the_reference_in_any_width() -> None:
    assert invoice_numbers_in("ｾｲｷﾕｳ 2026-000123") == ("2026-000123",)
    assert invoice_numbers_in("２０２６－０００１２４") == ("2026-000124",)
    assert invoice_numbers_in("2026000125 / 2026ｰ000126") == ("2026-000125", "2026-000126")
    assert invoice_numbers_in("12026-0001234 TEL 0312345678") == ()


def test_r36_reference_comes_before_amount_and_kana() -> None:
    named = open_invoice(5000, key="ベツジン")
    by_kana = open_invoice(3300)
    decision = decide(amount=3300, payer_kana="ﾔﾏﾀﾞ ﾀﾛｳ", referenced=[named], candidates=[by_kana])
    assert (decision.outcome, decision.invoice_id, decision.method) == (
        "match",
        named.id,
        "reference",
    )


def test_r36_a_voided_reference_falls_back_to_amount_and_kana() -> None:
    void = open_invoice(3300, status="void")
    fitting = open_invoice(3300)
    decision = decide(amount=3300, payer_kana="ﾔﾏﾀﾞ ﾀﾛｳ", referenced=[void], candidates=[fitting])
    assert (decision.invoice_id, decision.method) == (fitting.id, "amount_and_kana")


def test_r36_amount_and_kana_need_the_exact_open_amount_and_the_same_payer() -> None:
    fitting = open_invoice(3300)
    others = [
        open_invoice(3301),
        open_invoice(3300, key="ヤマダハナコ"),
        open_invoice(3300, status="paid"),
    ]
    decision = decide(
        amount=3300, payer_kana="ﾔﾏﾀﾞ ﾀﾛｳ", referenced=[], candidates=[*others, fitting]
    )
    assert (decision.outcome, decision.invoice_id) == ("match", fitting.id)
    assert decide(amount=3300, payer_kana="", referenced=[], candidates=[fitting]).outcome == (
        "unmatched"
    )


def test_r36_several_candidates_are_ambiguous_and_none_unmatched() -> None:
    first, second = open_invoice(3300), open_invoice(3300)
    decision = decide(amount=3300, payer_kana="ﾔﾏﾀﾞﾀﾛｳ", referenced=[], candidates=[first, second])
    assert decision.outcome == "ambiguous"
    assert set(decision.candidates) == {first.id, second.id}
    named = decide(amount=1, payer_kana="x", referenced=[first, second], candidates=[])
    assert named.outcome == "ambiguous"
    assert decide(amount=999, payer_kana="ﾔﾏﾀﾞ", referenced=[], candidates=[first]).outcome == (
        "unmatched"
    )


def test_r36_settlement_partial_full_and_overpaid() -> None:
    assert settlement_of(1000, 3300) == ("partial", 0)
    assert settlement_of(3300, 3300) == ("full", 0)
    assert settlement_of(5000, 3300) == ("overpaid", 1700)
    assert settlement_of(500, 0) == ("overpaid", 500)


# --- the file -------------------------------------------------------------------------


def test_r36_statement_is_read_in_utf8_with_bom_and_shift_jis_alike() -> None:
    rows = ("2026-05-20,3300,ﾔﾏﾀﾞ ﾀﾛｳ,請求 2026-000001",)
    plain = parse_statement(csv_of(*rows))
    bom = parse_statement(b"\xef\xbb\xbf" + csv_of(*rows))
    sjis = parse_statement(csv_of(*rows, encoding="shift_jis"))
    assert (plain.encoding, bom.encoding, sjis.encoding) == ("utf-8", "utf-8-sig", "shift_jis")
    assert plain.lines[0].payer_kana == sjis.lines[0].payer_kana == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert plain.lines[0].reference == sjis.lines[0].reference == "請求 2026-000001"
    # The same credit is the same line whatever the file's encoding.
    assert plain.lines[0].line_key == sjis.lines[0].line_key == bom.lines[0].line_key
    assert plain.sha256 != sjis.sha256


def test_r36_japanese_headers_in_any_order_and_yen_formats_are_read() -> None:
    parsed = parse_statement(
        csv_of('"¥12,100",2026/05/20,ﾔﾏﾀﾞ,x', header="金額,入金日,振込依頼人名,摘要\n")
    )
    line = parsed.lines[0]
    assert (line.amount, line.value_date, line.file_line) == (12100, date(2026, 5, 20), 2)


def test_r36_identical_lines_in_one_file_are_distinct_by_occurrence() -> None:
    parsed = parse_statement(csv_of("2026-05-20,3300,ﾔﾏﾀﾞ,", "2026-05-20,3300,ﾔﾏﾀﾞ,"))
    assert len({x.line_key for x in parsed.lines}) == 2
    # A later file with the pair's first credit (among others) names the same first line.
    later = parse_statement(csv_of("2026-05-21,100,ｽｽﾞｷ,", "2026-05-20,3300,ﾔﾏﾀﾞ,"))
    assert later.lines[1].line_key == parsed.lines[0].line_key


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (csv_of("2026-05-20,abc,ﾔﾏﾀﾞ,"), 2, "amount"),
        (csv_of("2026-05-20,100,ﾔﾏﾀﾞ,", "2026-13-01,100,ﾔﾏﾀﾞ,"), 3, "value_date"),
        (csv_of("2026-05-20,-5,ﾔﾏﾀﾞ,"), 2, "amount"),
        (csv_of("2026-05-20," + "9" * 5000 + ",ﾔﾏﾀﾞ,"), 2, "amount"),
        (csv_of("2026-05-20,100,\x00,"), 2, "payer_kana"),
        (csv_of("2026-05-20,100", header="value_date,amount,payer_kana\n"), 1, "reference"),
        (csv_of(",100,ﾔﾏﾀﾞ,"), 2, "value_date"),
        (HEADER.encode(), 2, None),
        (b"value_date,amount\n\xff\xfe\xfa", 2, None),
    ],
    ids=[
        "amount-word",
        "date-month-13",
        "amount-negative",
        "amount-huge",
        "control-char",
        "reference-column-missing",
        "date-empty",
        "no-lines",
        "not-utf8-or-sjis",
    ],
)
def test_r36_a_bad_file_names_its_line_and_column(
    content: bytes, line: int, column: str | None
) -> None:
    with pytest.raises(StatementInvalid) as refused:
        parse_statement(content)
    assert refused.value.extra["line"] == line
    assert refused.value.extra["column"] == column
    assert f"line {line}" in refused.value.en


# --- the handlers ---------------------------------------------------------------------


def bill(desk: Desk, member_id: uuid.UUID, total: int, number: str) -> Invoice:
    """An issued invoice of ``total`` (non-taxable, so the total is exact)."""
    now = jst(date(2026, 5, 1))
    invoice = Invoice.issue(
        number=number,
        issuer={},
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
        recipient={},
        consolidated_mailing=False,
        now=now,
    )
    invoice.collect_events()
    desk.uow.invoices.items[invoice.id] = invoice
    return invoice


async def upload(desk: Desk, content: bytes) -> reconciliation.Imported:
    async with desk.uow:
        return await reconciliation.import_statement(
            uow=desk.uow, content=content, file_name="statement.csv", actor=OPS
        )


def stored(desk: Desk, invoice: Invoice) -> Invoice:
    found: Invoice = desk.uow.invoices.items[invoice.id]
    return found


async def test_r36_lines_match_by_reference_and_by_amount_and_kana(desk: Desk) -> None:
    desk.at(date(2026, 5, 20))
    yamada = await desk.member(name_kana="ヤマダ タロウ")
    sato = await desk.member(name_kana="サトウ キョウコ")
    by_reference = bill(desk, yamada, 5500, "2026-000001")
    by_kana = bill(desk, sato, 3300, "2026-000002")

    imported = await upload(
        desk,
        csv_of(
            "2026-05-20,5500,ﾍﾞﾂｼﾞﾝ,ｾｲｷﾕｳ 2026-000001",
            # Half width, no small kana, no space: still サトウ キョウコ.
            "2026-05-21,3300,ｻﾄｳｷﾖｳｺ,",
        ),
    )

    assert imported.created
    first, second = imported.statement.lines
    assert (first.status, first.method, first.invoice_id, first.settlement) == (
        "matched",
        "reference",
        by_reference.id,
        "full",
    )
    assert (second.status, second.method, second.invoice_id) == (
        "matched",
        "amount_and_kana",
        by_kana.id,
    )
    assert stored(desk, by_reference).status == stored(desk, by_kana).status == "paid"
    payments = desk.uow.invoices.payments[by_kana.id]
    assert [(p.amount, p.paid_on, p.recorded_by) for p in payments] == [
        (3300, date(2026, 5, 21), OPS)
    ]
    assert len(desk.uow.audited("billing.invoice.payment_recorded")) == 2
    [entry] = desk.uow.audited("billing.bank_statement.imported")
    assert entry.details["matched"] == 2


async def test_r36_partial_payment_leaves_a_balance_and_overpayment_is_flagged(
    desk: Desk,
) -> None:
    member = await desk.member(name_kana="ヤマダ タロウ")
    partly = bill(desk, member, 10000, "2026-000011")
    over = bill(desk, member, 2000, "2026-000012")

    imported = await upload(
        desk,
        csv_of("2026-05-20,4000,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000011", "2026-05-20,2500,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000012"),
    )

    partial, overpaid = imported.statement.lines
    assert (partial.settlement, partial.overpaid_amount) == ("partial", 0)
    kept = stored(desk, partly)
    assert (kept.status, kept.paid_amount, kept.amount_due) == ("issued", 4000, 6000)
    assert (overpaid.settlement, overpaid.overpaid_amount) == ("overpaid", 500)
    assert (stored(desk, over).status, stored(desk, over).paid_amount) == ("paid", 2500)
    assert imported.statement.counts()["overpaid"] == 1


async def test_r36_ambiguous_and_unmatched_lines_record_nothing(desk: Desk) -> None:
    member = await desk.member(name_kana="ヤマダ タロウ")
    first = bill(desk, member, 3300, "2026-000021")
    second = bill(desk, member, 3300, "2026-000022")

    imported = await upload(desk, csv_of("2026-05-20,3300,ﾔﾏﾀﾞ ﾀﾛｳ,", "2026-05-20,7777,ﾀﾞﾚｶ,ﾌﾒｲ"))

    ambiguous, unmatched = imported.statement.lines
    assert ambiguous.status == "ambiguous"
    assert set(ambiguous.candidate_invoice_ids) == {first.id, second.id}
    assert (unmatched.status, unmatched.candidate_invoice_ids) == ("unmatched", ())
    assert desk.uow.invoices.payments == {}
    assert stored(desk, first).paid_amount == stored(desk, second).paid_amount == 0


async def test_r36_the_same_file_twice_records_nothing_new(desk: Desk) -> None:
    member = await desk.member(name_kana="ヤマダ タロウ")
    invoice = bill(desk, member, 1000, "2026-000031")
    content = csv_of("2026-05-20,400,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000031")

    first = await upload(desk, content)
    again = await upload(desk, content)
    # The same credits in another file (Shift_JIS, another line added) are duplicates.
    overlapping = await upload(
        desk,
        csv_of(
            "2026-05-20,400,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000031",
            "2026-05-22,600,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000031",
            encoding="shift_jis",
        ),
    )

    assert (again.created, again.statement.id) == (False, first.statement.id)
    assert len(desk.uow.statements.items) == 2
    duplicate, new = overlapping.statement.lines
    assert (duplicate.status, duplicate.duplicate_of) == (
        "duplicate",
        first.statement.lines[0].id,
    )
    assert new.status == "matched"
    assert [p.amount for p in desk.uow.invoices.payments[invoice.id]] == [400, 600]
    assert stored(desk, invoice).paid_amount == 1000
    assert len(desk.uow.audited("billing.bank_statement.import_repeated")) == 1


async def test_r36_a_waiting_line_is_matched_by_hand_once(desk: Desk) -> None:
    member = await desk.member(name_kana="ヤマダ タロウ")
    invoice = bill(desk, member, 3300, "2026-000041")
    imported = await upload(desk, csv_of("2026-05-20,3300,ﾀﾞﾚｶ,"))
    [line] = imported.statement.lines
    # Unmatched (another payer), with the open invoice of its amount as a hint.
    assert (line.status, line.candidate_invoice_ids) == ("unmatched", (invoice.id,))

    async with desk.uow:
        matched = await reconciliation.match_line(
            uow=desk.uow,
            statement_id=imported.statement.id,
            line_id=line.id,
            invoice_id=invoice.id,
            actor=OPS,
        )

    [done] = matched.lines
    assert (done.status, done.method, done.invoice_id, done.matched_by) == (
        "matched",
        "manual",
        invoice.id,
        OPS,
    )
    assert stored(desk, invoice).status == "paid"
    assert desk.uow.statements.items[imported.statement.id].lines[0].status == "matched"
    [entry] = desk.uow.audited("billing.bank_statement.line_matched")
    assert entry.member_id == member

    with pytest.raises(LineAlreadyMatched):
        async with desk.uow:
            await reconciliation.match_line(
                uow=desk.uow,
                statement_id=imported.statement.id,
                line_id=line.id,
                invoice_id=invoice.id,
                actor=OPS,
            )
    with pytest.raises(StatementLineNotFound):
        async with desk.uow:
            await reconciliation.match_line(
                uow=desk.uow,
                statement_id=imported.statement.id,
                line_id=uuid.uuid4(),
                invoice_id=invoice.id,
                actor=OPS,
            )
    assert [p.amount for p in desk.uow.invoices.payments[invoice.id]] == [3300]


async def test_r36_manual_match_to_an_unknown_invoice_is_not_found(desk: Desk) -> None:
    imported = await upload(desk, csv_of("2026-05-20,3300,ﾀﾞﾚｶ,"))
    with pytest.raises(InvoiceNotFound):
        async with desk.uow:
            await reconciliation.match_line(
                uow=desk.uow,
                statement_id=imported.statement.id,
                line_id=imported.statement.lines[0].id,
                invoice_id=uuid.uuid4(),
                actor=OPS,
            )
    assert desk.uow.statements.items[imported.statement.id].lines[0].status == "unmatched"


async def test_r36_a_bad_file_writes_nothing(desk: Desk) -> None:
    member = await desk.member(name_kana="ヤマダ タロウ")
    invoice = bill(desk, member, 3300, "2026-000051")
    with pytest.raises(StatementInvalid):
        await upload(desk, csv_of("2026-05-20,3300,ﾔﾏﾀﾞ ﾀﾛｳ,2026-000051", "2026-05-20,x,y,"))
    assert desk.uow.statements.items == {}
    assert stored(desk, invoice).paid_amount == 0
    assert desk.uow.invoices.payments == {}
