"""Ending a contract by phone, end to end through the gateway (R31, R32): a corporation
orders the demo IoT SIM — a service not cancellable on the site — ops read the order
with its entered fields labelled, the member cannot cancel it on the site, ops quote
and end it with a reason, and the member gets the cancellation email with the end date
and R20's fee.

The final invoice with the fee is billing's: it bills the end month once that month has
ended, from the same ``ordering.contract.cancelled`` event. The second test runs a stack
of its own whose billing lives in the next month (``clock_shift/sitecustomize.py``), so
ops can bill the month the contract ends today and the member reads that final invoice,
with R20's fee, and gets its email."""

from __future__ import annotations

import calendar
import os
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bizmall_testkit.client import Stack
from bizmall_testkit.data import last_month_start, today_in_japan
from bizmall_testkit.stack import free_port_base_for, gateway_session, running_stack, stack_env
from servicekit.testing.helpers import eventually
from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

pytestmark = pytest.mark.integration

CLOCK_SHIFT = Path(__file__).parent / "clock_shift"
#: How long billing may take to hear of the contract and its end (events), and to run.
BILLING_TIMEOUT = 90.0


async def _json(stack: Any, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with stack.http.request(method, path, headers=headers, **kw) as response:
        return response.status, await response.json()


async def test_r32_ops_end_an_iot_sim_contract_by_phone_and_the_member_is_emailed(
    stack: Any,
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    service = await stack.service_by_slug("iot-sim")
    assert service["cancellable_on_site"] is False
    body = await stack.order_body(service, {"apn_name": "sensors.example"})
    body["options"]["delivery_date"] = body["desired_start_date"]
    status, order = await stack.order(member, body)
    assert status == 201, order
    ops = await stack.ops_headers()

    # R31: ops read what the member entered, labelled as the order form showed it.
    status, view = await _json(stack, "GET", f"/api/v1/ops/ordering/orders/{order['id']}", ops)
    assert status == 200, view
    labels = {f["name"]: (f["label"]["ja"], f["value"]) for f in view["entered_fields"]}
    assert labels["apn_name"] == ("APN名", "sensors.example")
    assert labels["delivery_date"][0] == "配送希望日"
    assert view["member"]["id"] == member.id

    today = today_in_japan()
    contract = await stack.activate(order["id"], today)
    path = f"/api/v1/ops/ordering/contracts/{contract['id']}"

    # R20: the site sends the member to the contact center ...
    status, refused = await _json(
        stack, "POST", f"/api/v1/contracts/{contract['id']}/cancel", member.headers, json={}
    )
    assert (status, refused["code"]) == (409, "contract.cancel_by_contact_center")
    # ... which ops are, for any service (R32); the member may not use the ops routes.
    status, _ = await _json(stack, "GET", f"{path}/cancellation-quote", member.headers)
    assert status == 403

    status, quote = await _json(stack, "GET", f"{path}/cancellation-quote", ops)
    assert status == 200, quote
    # Within the 6-month minimum term: the fixed 5,000 yen.
    assert quote["early_termination_fee"] == 5000
    reason = "お電話にて解約のお申し出"
    status, ended = await _json(
        stack,
        "POST",
        f"{path}/cancel",
        ops,
        json={"end_date": quote["end_date"], "reason": reason},
    )
    assert status == 200, ended
    assert (ended["cancelled_by"], ended["early_termination_fee"]) == ("ops", 5000)
    status, mine = await _json(stack, "GET", f"/api/v1/contracts/{contract['id']}", member.headers)
    assert (mine["end_date"], mine["early_termination_fee"]) == (quote["end_date"], 5000)

    email = await stack.mail_to(
        member.email, lambda m: m["Subject"].startswith("【bizmall】ご解約の受付")
    )
    text = stack.text_of(email)
    y, m, d = (int(part) for part in quote["end_date"].split("-"))
    assert f"{y}年{m}月{d}日" in text
    assert "5,000円（不課税）" in text
    assert reason not in text


def _month_after(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1]) + timedelta(days=1)


@pytest_asyncio.fixture(scope="module")
async def next_month_billing(
    infra: Infra, smtp_mailbox: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """A whole stack of its own whose billing lives on the 2nd of next month (Japan):
    only billing's processes run that many days ahead, so the month that is current for
    ordering (a contract can end no earlier than today) has ended for billing. Its
    scheduled catch-up waits a day, so only the ops run below bills."""
    today = today_in_japan()
    shift = (_month_after(today) + timedelta(days=1) - today).days
    var_dir = tmp_path_factory.mktemp("devrun-next-month-billing")
    base = free_port_base_for()
    path = [str(CLOCK_SHIFT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = await stack_env(
        infra,
        base=base,
        var_dir=var_dir,
        smtp=smtp_mailbox,
        database_hint="e2e_shift",
        extra={
            "PYTHONPATH": os.pathsep.join(path),
            "BIZMALL_TEST_CLOCK_SHIFT": f"billing={shift}",
            "BILLING_JOB_INTERVAL_SECONDS": "86400",
        },
    )
    async with running_stack(env, var_dir / "stack.log") as running, gateway_session(base) as http:
        yield Stack(base=base, http=http, smtp=smtp_mailbox, env=env, log=running.log)


async def _bill(stack: Stack, month: str) -> None:
    """Ops bill ``month``: answered at once (200), or queued for billing's worker (202,
    followed with ``GET /runs/{id}`` until it is done)."""
    ops = await stack.ops_headers()
    async with stack.http.post(
        "/api/v1/ops/billing/runs", json={"month": month}, headers=ops
    ) as response:
        run = await response.json()
        assert response.status in (200, 202), run
    if response.status == 200:
        return

    async def finished() -> dict[str, Any] | None:
        status, now = await _json(stack, "GET", f"/api/v1/ops/billing/runs/{run['id']}", ops)
        assert status == 200, now
        return now if now["status"] in ("done", "failed") else None

    done = await eventually(finished, timeout=BILLING_TIMEOUT)
    assert done["status"] == "done", done


async def test_r32_r20_an_ops_ended_iot_sim_contract_is_billed_its_fee_on_the_final_invoice(
    next_month_billing: Stack,
) -> None:
    stack = next_month_billing
    member = await stack.register_and_login(entity_type="corporation")
    service = await stack.service_by_slug("iot-sim")
    assert service["cancellable_on_site"] is False
    body = await stack.order_body(service, {"apn_name": "final.invoice.example"})
    body["options"]["delivery_date"] = body["desired_start_date"]
    status, order = await stack.order(member, body)
    assert status == 201, order
    # Active since the first of last month: this month is the contract's second, well
    # within its six-month minimum term.
    contract = await stack.activate(order["id"], last_month_start())
    ops = await stack.ops_headers()
    path = f"/api/v1/ops/ordering/contracts/{contract['id']}"
    status, quote = await _json(stack, "GET", f"{path}/cancellation-quote", ops)
    assert status == 200, quote
    this_month = today_in_japan().replace(day=1)
    assert date.fromisoformat(quote["end_date"]) == _month_after(this_month) - timedelta(days=1)
    assert quote["early_termination_fee"] == 5000
    status, ended = await _json(
        stack,
        "POST",
        f"{path}/cancel",
        ops,
        json={"end_date": quote["end_date"], "reason": "お電話にて解約（最終請求の確認）"},
    )
    assert status == 200, ended

    # Billing hears of the end (``ordering.contract.cancelled``) before ops bill the month.
    async def billing_knows_the_end() -> bool:
        rows = await stack.query(
            "billing",
            "SELECT end_date, early_termination_fee FROM billing_subscription"
            " WHERE contract_id = $1",
            contract["id"],
        )
        return bool(rows) and rows[0]["end_date"] is not None

    await eventually(billing_knows_the_end, timeout=BILLING_TIMEOUT)
    month = f"{this_month:%Y-%m}"
    await _bill(stack, month)

    # The final invoice: the month the contract ends, with R20's fee outside the tax.
    status, page = await _json(stack, "GET", "/api/v1/invoices", member.headers)
    assert status == 200, page
    (final,) = [i for i in page["items"] if i["usage_period_start"] == this_month.isoformat()]
    status, invoice = await _json(stack, "GET", f"/api/v1/invoices/{final['id']}", member.headers)
    assert status == 200, invoice
    fees = [line for line in invoice["lines"] if line["kind"] == "termination_fee"]
    assert [(f["amount"], f["tax_category"], f["contract_id"]) for f in fees] == [
        (5000, "non_taxable", contract["id"])
    ]
    assert invoice["non_taxable_subtotal"] == 5000
    assert invoice["total"] == invoice["taxable_subtotal"] + invoice["tax"] + 5000

    # The member's emails: the end of the contract with its fee, then the final invoice.
    ending = await stack.mail_to(
        member.email, lambda m: m["Subject"].startswith("【bizmall】ご解約の受付")
    )
    assert "5,000円（不課税）" in stack.text_of(ending)
    issued = await stack.mail_to(
        member.email,
        lambda m: (
            m["Subject"].startswith("【bizmall】ご請求書発行のお知らせ")
            and invoice["invoice_number"] in stack.text_of(m)
        ),
    )
    assert f"{invoice['total']:,}円" in stack.text_of(issued)
