"""Account-transfer collection through the API on the real database (R35): the debit
batch of a collection date, its Zengin request file parsed record by record, the
bank's result file with codes 0, 1 and 2, the same file applied twice, bad files, and
an account-transfer invoice that stays unpaid until a result says 0."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from billing.domain import zengin

BASE = "/api/v1/ops/billing/account-transfer-debits"
COLLECTION_DATE = date(2026, 7, 27)  # a Monday: the 27th itself


def _transfer(holder: str, number: str) -> dict[str, str]:
    return {
        "bank_code": "0005",
        "branch_code": "123",
        "account_type": "ordinary",
        "account_number": number,
        "holder_name_kana": holder,
    }


async def transfer_member(billing: Any, holder: str, number: str) -> uuid.UUID:
    """A member on account transfer (application completed by ops) with one June
    contract."""
    member_id = await billing.verify_member()
    applied = await billing.client.post(
        "/api/v1/billing/account-transfer",
        json=_transfer(holder, number),
        headers=billing.member(member_id),
    )
    assert applied.status_code == 201, applied.text
    done = await billing.client.post(
        f"/api/v1/ops/billing/account-transfers/{applied.json()['id']}/complete",
        headers=billing.ops_headers(),
    )
    assert done.status_code == 200, done.text
    await billing.activate(member_id, start=date(2026, 6, 1), initial_fee=0)
    return member_id


async def build(billing: Any, day: str = COLLECTION_DATE.isoformat()) -> Any:
    return await billing.client.post(
        BASE, json={"collection_date": day}, headers=billing.ops_headers()
    )


async def invoice_of(billing: Any, member_id: uuid.UUID) -> dict[str, Any]:
    (found,) = await billing.invoices_of(member_id)
    return found  # type: ignore[no-any-return]


def records_of(content: bytes) -> list[bytes]:
    assert content.endswith(b"\r\n")
    records = content.split(b"\r\n")[:-1]
    assert all(len(r) == 120 for r in records), [len(r) for r in records]
    return records


async def test_r35_debit_file_results_0_1_2_and_the_same_file_twice(billing: Any) -> None:
    names = [("ヤマダ タロウ", "1111111"), ("ｽｽﾞｷ ﾊﾅｺ", "2222222"), ("サトウ ジロウ", "3333333")]
    members = [await transfer_member(billing, *n) for n in names]
    by_invoice = await billing.verify_member()
    await billing.activate(by_invoice, start=date(2026, 6, 1), initial_fee=0)
    billing.pin(date(2026, 7, 15))
    await billing.run("2026-06")
    invoices = [await invoice_of(billing, m) for m in members]
    assert {i["payment_method"] for i in invoices} == {"account_transfer"}
    assert {i["due_date"] for i in invoices} == {"2026-07-27"}

    # R35: no invoice is paid on its debit date without a result.
    billing.pin(date(2026, 7, 28))
    async with billing.runtime.uow() as uow:
        from billing.service_layer.invoices import mark_overdue

        await mark_overdue(uow=uow)
    assert {(await invoice_of(billing, m))["status"] for m in members} == {"issued"}

    built = await build(billing)
    assert built.status_code == 201, built.text
    batch = built.json()
    assert (batch["debit_count"], batch["status"]) == (3, "built")
    assert batch["total"] == sum(i["total"] for i in invoices)
    assert {d["invoice_id"] for d in batch["debits"]} == {i["id"] for i in invoices}
    again = await build(billing)
    assert (again.status_code, again.json()["id"]) == (200, batch["id"])

    listed = await billing.client.get(BASE, headers=billing.ops_headers())
    assert batch["id"] in [b["id"] for b in listed.json()["items"]]

    response = await billing.client.get(f"{BASE}/{batch['id']}/file", headers=billing.ops_headers())
    assert response.status_code == 200, response.text
    content = response.content
    records = records_of(content)
    text = [r.decode("shift_jis") for r in records]
    assert [t[0] for t in text] == ["1", "2", "2", "2", "8", "9"]
    assert text[0][1:3] == "91" and text[0][54:58] == "0727"
    data = text[1:4]
    holders = {t[50:80].rstrip() for t in data}
    assert holders == {"ﾔﾏﾀﾞ ﾀﾛｳ", "ｽｽﾞｷ ﾊﾅｺ", "ｻﾄｳ ｼﾞﾛｳ"}
    assert all(len(h.encode("shift_jis")) == len(h) for h in holders)  # half-width: 1 byte
    assert {t[43:50] for t in data} == {"1111111", "2222222", "3333333"}
    amounts = [int(t[80:90]) for t in data]
    assert (int(text[4][1:7]), int(text[4][7:19])) == (len(data), sum(amounts))
    assert sum(amounts) == batch["total"]
    # Building twice gives the same file.
    second = await billing.client.get(f"{BASE}/{batch['id']}/file", headers=billing.ops_headers())
    assert second.content == content
    audited = await billing.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'billing.debit_batch.file_downloaded'"
        " AND target = :t",
        t=batch["id"],
    )
    assert audited == 2
    leaked = await billing.scalar(
        "SELECT count(*) FROM audit_log WHERE details::text LIKE '%1111111%'"
    )
    assert leaked == 0

    # The bank answers: the first debited (0), the second short of funds (1), the third
    # without such an account (2).
    request = zengin.decode(content, year=2026)
    codes = {"1111111": "0", "2222222": "1", "3333333": "2"}
    result = zengin.encode(
        zengin.result_file(request, [codes[r.account_number] for r in request.records])
    )
    billing.pin(date(2026, 7, 30))
    applied = await billing.client.post(
        f"{BASE}/{batch['id']}/results",
        content=result,
        headers={**billing.ops_headers(), "content-type": "text/plain"},
    )
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert (body["collected"], body["failed"], body["unchanged"]) == (1, 2, 0)
    assert body["batch"]["status"] == "completed"

    paid, short, closed = [await invoice_of(billing, m) for m in members]
    assert (paid["status"], paid["paid_amount"]) == ("paid", paid["total"])
    payments = await billing.scalar(
        "SELECT count(*) FROM invoice_payment WHERE invoice_id = CAST(:i AS uuid)"
        " AND kind = 'payment' AND amount = :a AND paid_on = '2026-07-27'",
        i=paid["id"],
        a=paid["total"],
    )
    assert payments == 1
    for failed in (short, closed):
        assert (failed["status"], failed["paid_amount"]) == ("issued", 0)
        assert failed["transfer_failed"] is True
        assert failed["fallback_due_date"] == "2026-08-14"  # 10 business days after 30 July
        assert failed["due_date"] == "2026-07-27"  # what was printed stays
    events = {
        e["invoice_id"]: e
        for e in await billing.outbox("billing.invoice.debit_failed")
        if e["invoice_id"] in (short["id"], closed["id"])
    }
    assert {(e["result_code"], e["reason"]["en"]) for e in events.values()} == {
        ("1", "insufficient funds"),
        ("2", "no such account"),
    }
    assert {e["due_date"] for e in events.values()} == {"2026-08-14"}

    failed_list = await billing.client.get(
        "/api/v1/ops/billing/failed-debits", headers=billing.ops_headers()
    )
    failed_items = {d["invoice_id"]: d for d in failed_list.json()["items"]}
    assert failed_items[short["id"]]["result"] == "insufficient_funds"
    assert failed_items[closed["id"]]["result"] == "no_account"
    assert paid["id"] not in failed_items
    only_failed = await billing.client.get(
        f"{BASE}/{batch['id']}", params={"status": "failed"}, headers=billing.ops_headers()
    )
    assert {d["invoice_id"] for d in only_failed.json()["debits"]} == {short["id"], closed["id"]}

    # The same file again changes nothing.
    twice = await billing.client.post(
        f"{BASE}/{batch['id']}/results",
        content=result,
        headers={**billing.ops_headers(), "content-type": "text/plain"},
    )
    assert twice.status_code == 200, twice.text
    assert (twice.json()["collected"], twice.json()["failed"], twice.json()["unchanged"]) == (
        0,
        0,
        3,
    )
    assert [await invoice_of(billing, m) for m in members] == [paid, short, closed]
    assert len(await billing.outbox("billing.invoice.debit_failed")) >= 2
    assert (
        await billing.scalar(
            "SELECT count(*) FROM invoice_payment WHERE invoice_id = CAST(:i AS uuid)",
            i=paid["id"],
        )
        == 1
    )

    # A failed invoice, back on invoice payment, becomes overdue after its new due date.
    billing.pin(date(2026, 8, 15))
    async with billing.runtime.uow() as uow:
        from billing.service_layer.invoices import mark_overdue

        await mark_overdue(uow=uow)
    assert (await invoice_of(billing, members[1]))["status"] == "overdue"
    assert (await invoice_of(billing, members[0]))["status"] == "paid"


async def test_r35_bad_result_files_are_422_naming_the_record(billing: Any) -> None:
    member = await transfer_member(billing, "タナカ イチロウ", "4444444")
    billing.pin(date(2026, 9, 15))
    await billing.run("2026-06")
    await billing.run("2026-07")
    await billing.run("2026-08")
    built = await build(billing, "2026-09-28")  # the 27th is a Sunday
    assert built.status_code == 201, built.text
    batch = built.json()
    assert batch["debit_count"] >= 1
    content = (
        await billing.client.get(f"{BASE}/{batch['id']}/file", headers=billing.ops_headers())
    ).content
    request = zengin.decode(content, year=2026)
    good = zengin.encode(zengin.result_file(request, ["0"] * len(request.records)))
    headers = {**billing.ops_headers(), "content-type": "application/octet-stream"}

    lines = good.split(b"\r\n")
    lines[1] = lines[1][:-1]  # 119 bytes
    short = await billing.client.post(
        f"{BASE}/{batch['id']}/results", content=b"\r\n".join(lines), headers=headers
    )
    assert short.status_code == 422
    assert short.headers["content-type"].startswith("application/problem+json")
    assert (short.json()["code"], short.json()["line"]) == ("billing.zengin_file_invalid", 2)

    lines = good.split(b"\r\n")
    trailer = len(request.records) + 1
    lines[trailer] = b"8" + b"%06d" % (len(request.records) + 1) + lines[trailer][7:]
    refused = await billing.client.post(
        f"{BASE}/{batch['id']}/results", content=b"\r\n".join(lines), headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["line"] == len(request.records) + 2

    empty = await billing.client.post(f"{BASE}/{batch['id']}/results", content=b"", headers=headers)
    assert (empty.status_code, empty.json()["line"]) == (422, 0)
    assert {i["status"] for i in await billing.invoices_of(member)} == {"issued"}

    not_a_date = await build(billing, "2026-09-27")
    assert not_a_date.status_code == 422
    assert not_a_date.json()["collection_date"] == "2026-09-28"
    unknown = await billing.client.get(f"{BASE}/{uuid.uuid4()}", headers=billing.ops_headers())
    assert unknown.status_code == 404
    member_call = await billing.client.get(BASE, headers=billing.member(member))
    assert member_call.status_code == 403
