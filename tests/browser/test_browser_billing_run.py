"""The billing run in the ops console (R39): ops start a run, it goes on in the
background, and the console polls it and shows a progress bar — contracts done of
total — until it is done, with the invoices it issued."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_r39_the_console_shows_the_billing_run_progressing_to_done(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    # A contract of last month, so the run has something to bill.
    member = await stack.register_and_login()
    order = await stack.place_order(member)
    start = last_month_start()
    await stack.activate(order["id"], start)

    console = await new_page()
    await ops.log_in(console)
    await console.goto(f"{stack.base_url}/ops/billing")
    await console.get_by_label("利用月").fill(f"{start:%Y-%m}")
    await console.get_by_role("button", name="実行").click()

    # The answer comes at once (202): the progress bar shows the queued or running run,
    # and the console polls it until the worker is done.
    progress = console.get_by_role("progressbar", name="請求処理の進捗")
    await expect(progress).to_be_visible()
    panel = console.locator(".run-progress")
    assert await panel.get_attribute("data-status") in ("queued", "running", "done")
    await screens.shot(console, "run-started")
    await expect(panel).to_have_attribute("data-status", "done", timeout=120_000)
    await expect(console.locator(".run-result")).to_contain_text("完了。")
    await expect(console.locator(".run-result")).to_contain_text("件の請求書を発行しました")
    # A finished run fills its bar: the contracts done are the total.
    value, maximum = await progress.evaluate("bar => [bar.value, bar.max]")
    assert value == maximum and maximum >= 1, (value, maximum)
    text = await console.locator(".run-result").inner_text()
    assert f"契約 {int(value)} / {int(maximum)} 件処理" in text or maximum == 1, text
    await expect(console.get_by_role("button", name="実行")).to_be_enabled()
    await screens.shot(console, "run-done")
