"""Account-transfer collection (R35) without a database: the Zengin format (encode and
parse, half-width katakana, Shift_JIS, CRLF), and the debit batch rules on the fake
unit of work — what goes into a batch, idempotent builds, results 0 / 1 / 2, a result
file applied twice, bad files named by their record."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from billing.config import Settings
from billing.domain import zengin
from billing.domain.collection import collection_date_of, is_collection_date
from billing.domain.errors import (
    DebitPending,
    DebitResultConflict,
    NotACollectionDate,
    ZenginFileInvalid,
)
from billing.domain.invoice import CorrectedLine, Invoice
from billing.service_layer import collection, invoices
from bizmall_events import InvoiceDebitFailed

from .conftest import SETTINGS, Desk
from .test_billing_account_handlers import apply, decide

# --- the Zengin format --------------------------------------------------------------------


def test_r35_names_become_half_width_katakana() -> None:
    assert zengin.to_zengin_kana("ヤマダ　タロウ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert zengin.to_zengin_kana("がっこう") == "ｶﾞﾂｺｳ"  # hiragana, small kana made large
    assert zengin.to_zengin_kana("ｷｬﾝﾌﾟ") == "ｷﾔﾝﾌﾟ"
    assert zengin.to_zengin_kana("ビズモール（カ") == "ﾋﾞｽﾞﾓ-ﾙ(ｶ"
    assert zengin.to_zengin_kana("ｅｆ１") == "EF1"
    with pytest.raises(ValueError, match="cannot be written"):
        zengin.to_zengin_kana("山田")


HEADER = zengin.Header(
    consignor_code="1234567890",
    consignor_name="ビズモール（カ",
    collection_date=date(2026, 7, 27),
    bank_code="0001",
    bank_name="ミズホ",
    branch_code="001",
    branch_name="マルノウチ",
    account_type="ordinary",
    account_number="1234567",
)


def _record(number: str, amount: int, name: str = "ヤマダ タロウ") -> zengin.DataRecord:
    return zengin.DataRecord(
        bank_code="0005",
        branch_code="123",
        account_type="ordinary",
        account_number="7654321",
        payer_name=name,
        amount=amount,
        customer_number=number,
    )


def test_r35_a_request_file_is_120_byte_shift_jis_records_with_crlf() -> None:
    request = zengin.ZenginFile.request(
        HEADER, [_record("2026-000001", 3300), _record("2026-000002", 11000, "スズキ ハナコ")]
    )
    content = zengin.encode(request)
    assert content.endswith(b"\r\n")
    records = content.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [120] * 5
    assert [r[:1] for r in records] == [b"1", b"2", b"2", b"8", b"9"]
    assert records[0][1:3] == b"91"
    assert records[0][14:54].decode("shift_jis").rstrip() == "ﾋﾞｽﾞﾓ-ﾙ(ｶ"
    assert records[0][54:58] == b"0727"
    data = records[2].decode("shift_jis")
    assert data[50:80].rstrip() == "ｽｽﾞｷ ﾊﾅｺ"
    assert data[80:90] == "0000011000"
    assert data[91:111].rstrip() == "2026-000002"
    trailer = records[3].decode("ascii")
    assert (trailer[1:7], trailer[7:19]) == ("000002", "000000014300")
    parsed = zengin.decode(content, year=2026)
    assert [(r.customer_number, r.amount, r.payer_name) for r in parsed.records] == [
        ("2026-000001", 3300, "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("2026-000002", 11000, "ｽｽﾞｷ ﾊﾅｺ"),
    ]
    assert zengin.encode(parsed) == content


def test_r35_a_result_file_round_trips_and_its_trailer_is_checked() -> None:
    request = zengin.ZenginFile.request(HEADER, [_record("A1", 100), _record("A2", 250)])
    result = zengin.result_file(request, ["0", "1"])
    content = zengin.encode(result)
    parsed = zengin.decode(content, year=2026, result=True)
    assert [r.result_code for r in parsed.records] == ["0", "1"]
    assert (parsed.trailer.collected_amount, parsed.trailer.failed_amount) == (100, 250)
    # Records back to back, without line breaks, are read as well.
    assert zengin.decode(content.replace(b"\r\n", b""), year=2026, result=True) == parsed


def _broken(content: bytes, line: int, at: int, value: bytes) -> bytes:
    records = content.split(b"\r\n")
    record = records[line - 1]
    records[line - 1] = record[:at] + value + record[at + len(value) :]
    return b"\r\n".join(records)


@pytest.mark.parametrize(
    ("line", "at", "value", "says"),
    [
        (1, 1, b"21", "kind code"),
        (2, 80, b"00000000x0", "amount"),
        (3, 111, b"7", "result code"),
        (4, 1, b"000003", "count 3"),
        (4, 7, b"000000000999", "total 999"),
        (2, 0, b"5", "record type"),
    ],
)
def test_r35_a_bad_file_is_refused_naming_the_record(
    line: int, at: int, value: bytes, says: str
) -> None:
    request = zengin.ZenginFile.request(HEADER, [_record("A1", 100), _record("A2", 250)])
    content = _broken(zengin.encode(zengin.result_file(request, ["0", "0"])), line, at, value)
    with pytest.raises(zengin.ZenginFormatError) as refused:
        zengin.decode(content, year=2026, result=True)
    assert refused.value.line == line
    assert says in refused.value.message


def test_r35_a_short_record_or_a_missing_end_record_is_refused() -> None:
    content = zengin.encode(zengin.ZenginFile.request(HEADER, [_record("A1", 100)]))
    short = content.replace(b"0000000100", b"000000100", 1)
    with pytest.raises(zengin.ZenginFormatError) as refused:
        zengin.decode(short, year=2026)
    assert (refused.value.line, "119 bytes" in refused.value.message) == (2, True)
    with pytest.raises(zengin.ZenginFormatError, match="end record"):
        zengin.decode(content[:-122], year=2026)


def test_r35_collection_dates_are_the_27th_or_the_next_business_day() -> None:
    assert collection_date_of(2026, 7) == date(2026, 7, 27)  # a Monday
    assert collection_date_of(2026, 6) == date(2026, 6, 29)  # 27th is a Saturday
    assert is_collection_date(date(2026, 6, 29))
    assert not is_collection_date(date(2026, 6, 27))


# --- the debit batch on the fake unit of work --------------------------------------------


async def transfer_invoice(desk: Desk, *, fee: int = 3000) -> Invoice:
    """A June 2026 invoice debited by account transfer on 27 July 2026."""
    member = await desk.member()
    await decide(desk, await apply(desk, member), "completed")
    await desk.contract(member, start=date(2026, 6, 1), initial_fee=0, monthly_fee=fee)
    await desk.run("2026-06", on=date(2026, 7, 15))
    (invoice,) = desk.invoices_of(member)
    assert (invoice.payment_method, invoice.due_date) == ("account_transfer", date(2026, 7, 27))
    return invoice


async def build(desk: Desk, day: date = date(2026, 7, 27)) -> collection.Built:
    async with desk.uow:
        return await collection.build_debit_batch(
            uow=desk.uow, collection_date=day, actor="ops-1", transfer_day=27
        )


async def file_of(desk: Desk, batch_id: uuid.UUID) -> bytes:
    async with desk.uow:
        _, content = await collection.request_file(
            uow=desk.uow, batch_id=batch_id, settings=SETTINGS, actor="ops-1"
        )
    return content


async def apply_results(
    desk: Desk, batch_id: uuid.UUID, content: bytes
) -> collection.ResultOutcome:
    async with desk.uow:
        _, outcome = await collection.apply_result_file(
            uow=desk.uow, batch_id=batch_id, content=content, settings=SETTINGS, actor="ops-1"
        )
    return outcome


def results_for(content: bytes, codes: list[str]) -> bytes:
    request = zengin.decode(content, year=2026)
    return zengin.encode(zengin.result_file(request, codes))


async def test_r35_a_batch_holds_the_due_transfer_invoices_and_is_built_once(desk: Desk) -> None:
    first = await transfer_invoice(desk)
    second = await transfer_invoice(desk, fee=5000)
    by_invoice = await desk.member()
    await desk.contract(by_invoice, start=date(2026, 6, 1), initial_fee=0)
    await desk.run("2026-06", on=date(2026, 7, 15))

    built = await build(desk)
    assert built.created
    assert [d.invoice_id for d in built.batch.debits] == [first.id, second.id]
    assert (built.batch.debit_count, built.batch.total) == (2, 3300 + 5500)
    assert desk.uow.audited("billing.debit_batch.built")

    again = await build(desk)
    assert (again.created, again.batch.id) == (False, built.batch.id)
    assert await file_of(desk, built.batch.id) == await file_of(desk, built.batch.id)
    assert len(desk.uow.audited("billing.debit_batch.file_downloaded")) == 2


async def test_r35_a_batch_is_refused_on_a_day_that_is_not_a_collection_date(desk: Desk) -> None:
    with pytest.raises(NotACollectionDate) as refused:
        await build(desk, date(2026, 6, 27))
    assert refused.value.extra["collection_date"] == "2026-06-29"


async def test_r35_the_file_opens_the_sealed_account_only_there(desk: Desk) -> None:
    invoice = await transfer_invoice(desk)
    stored_transfer = next(iter(desk.uow.accounts.transfers.values()))
    assert "7654321" not in stored_transfer.sealed_details
    built = await build(desk)
    assert built.batch.debits[0].masked_number == "****321"
    content = await file_of(desk, built.batch.id)
    data = content.split(b"\r\n")[1].decode("shift_jis")
    assert (data[43:50], data[50:80].rstrip(), int(data[80:90])) == (
        "7654321",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        invoice.total,
    )
    (audit,) = desk.uow.audited("billing.debit_batch.file_downloaded")
    assert "7654321" not in str(audit.details)


async def test_r35_results_0_1_and_2_pay_or_fail_and_applying_twice_changes_nothing(
    desk: Desk,
) -> None:
    paid, short, closed = [await transfer_invoice(desk) for _ in range(3)]
    built = await build(desk)
    desk.at(date(2026, 7, 30))
    content = results_for(await file_of(desk, built.batch.id), ["0", "1", "2"])

    outcome = await apply_results(desk, built.batch.id, content)
    assert (outcome.collected, outcome.failed, outcome.unchanged) == (1, 2, 0)
    items = desk.uow.invoices.items
    assert (items[paid.id].status, items[paid.id].paid_amount) == ("paid", 3300)
    assert [p.kind for p in desk.uow.invoices.payments[paid.id]] == ["payment"]
    for failed in (short, closed):
        assert (items[failed.id].status, items[failed.id].transfer_failed) == ("issued", True)
        # 10 business days after 30 July (11 August is a holiday)
        assert items[failed.id].fallback_due_date == date(2026, 8, 14)
    events = desk.uow.events_of(InvoiceDebitFailed)
    assert {(e.invoice_id, e.result_code, e.reason.en) for e in events} == {
        (short.id, "1", "insufficient funds"),
        (closed.id, "2", "no such account"),
    }
    stored = desk.uow.collections.batches[built.batch.id]
    assert stored.status == "completed"

    again = await apply_results(desk, built.batch.id, content)
    assert (again.collected, again.failed, again.unchanged) == (0, 0, 3)
    assert len(desk.uow.events_of(InvoiceDebitFailed)) == 2
    assert [p.kind for p in desk.uow.invoices.payments[paid.id]] == ["payment"]
    assert items[paid.id].paid_amount == 3300

    async with desk.uow:
        page = await collection.failed_debits(uow=desk.uow, limit=10, cursor=None)
    assert {d.invoice_id for d in page.items} == {short.id, closed.id}


async def test_r35_a_result_contradicting_an_applied_one_is_refused(desk: Desk) -> None:
    await transfer_invoice(desk)
    built = await build(desk)
    request = await file_of(desk, built.batch.id)
    await apply_results(desk, built.batch.id, results_for(request, ["1"]))
    with pytest.raises(DebitResultConflict) as refused:
        await apply_results(desk, built.batch.id, results_for(request, ["0"]))
    assert refused.value.extra["line"] == 2


async def test_r35_a_result_file_of_another_batch_or_with_a_bad_record_moves_nothing(
    desk: Desk,
) -> None:
    invoice = await transfer_invoice(desk)
    built = await build(desk)
    request = await file_of(desk, built.batch.id)
    foreign = results_for(request, ["0"]).replace(b"2026-000001", b"2026-009999", 1)
    with pytest.raises(ZenginFileInvalid) as refused:
        await apply_results(desk, built.batch.id, foreign)
    assert refused.value.extra["line"] == 2
    assert "not in this batch" in refused.value.en
    with pytest.raises(ZenginFileInvalid) as garbled:
        await apply_results(desk, built.batch.id, b"not a zengin file\r\n")
    assert garbled.value.extra["line"] == 1
    assert desk.uow.invoices.items[invoice.id].status == "issued"
    assert desk.uow.collections.batches[built.batch.id].debits[0].result_code is None


async def test_r35_an_invoice_waiting_for_its_debit_is_not_voided(desk: Desk) -> None:
    invoice = await transfer_invoice(desk)
    await build(desk)
    with pytest.raises(DebitPending):
        async with desk.uow:
            await invoices.void_and_correct(
                uow=desk.uow,
                invoice_id=invoice.id,
                reason="誤り",
                lines=[CorrectedLine("調整", "Adjustment", 1, 1000, taxable=True)],
                actor="ops-1",
                settings=SETTINGS,
            )
    assert desk.uow.invoices.items[invoice.id].status == "issued"


async def test_r35_a_result_read_before_the_debit_date_counts_the_new_due_date_from_it(
    desk: Desk,
) -> None:
    invoice = await transfer_invoice(desk)
    built = await build(desk)
    desk.at(date(2026, 7, 20))
    await apply_results(
        desk, built.batch.id, results_for(await file_of(desk, built.batch.id), ["3"])
    )
    # 10 business days after 27 July, not after 20 July (11 August is a holiday).
    assert desk.uow.invoices.items[invoice.id].fallback_due_date == date(2026, 8, 10)
    (event,) = desk.uow.events_of(InvoiceDebitFailed)
    assert (event.result_code, event.reason.ja) == ("3", "預金者の都合による振替停止")


def test_r35_consignor_settings_the_file_cannot_carry_are_refused_at_start() -> None:
    settings = Settings(
        collection_consignor_code="12345",
        collection_consignor_name="ビズモール株式会社",
        local_mode=True,
    )
    problems = settings.startup_problems()
    assert "BILLING_COLLECTION_CONSIGNOR_CODE must be 10 digits (R35)" in problems
    assert any(p.startswith("BILLING_COLLECTION_CONSIGNOR_NAME:") for p in problems)
    assert not [p for p in SETTINGS.startup_problems() if "COLLECTION" in p]


@pytest.mark.parametrize("day", ["9999-12-27", "0001-01-27", "1948-07-27"])
def test_r35_a_collection_date_outside_the_calendar_is_refused_as_input(day: str) -> None:
    # The business-day calendar covers 1949-2099: such a date is a 422, never a 500.
    from pydantic import ValidationError

    from billing.api.collection import BuildBody

    with pytest.raises(ValidationError, match="2000-2099"):
        BuildBody.model_validate({"collection_date": day})
    assert BuildBody.model_validate({"collection_date": "2026-07-27"}).collection_date.year == 2026
