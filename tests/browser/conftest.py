"""A browser (Debian's Chromium, driven by Playwright) against a whole local stack.

The stack is the end-to-end tests' one (``tests/e2e/conftest.py``: ``python -m
devrun`` on free ports with this run's databases and a real SMTP sink), loaded
from that file rather than copied; its gateway serves the built web client
(``make web``). Each test gets a fresh browser context (no shared cookies) and
keeps a screenshot of every step under ``test-output/browser/<test>/``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
import pytest_asyncio

from jpcalendar import first_business_day_on_or_after, to_jst
from servicekit.testing.helpers import eventually

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _load_e2e() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bizmall_e2e_stack", ROOT / "tests" / "e2e" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


e2e = _load_e2e()
# The stack fixtures, registered for this folder too.
smtp_mailbox = e2e.smtp_mailbox
stack = e2e.stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _served_web_client() -> None:
    """The stack's gateway serves this checkout's web build (``make web`` makes it)."""
    if not CHROMIUM.exists():
        return
    assert (WEB_DIST / "index.html").is_file(), (
        f"{WEB_DIST} has no build: run `make web` (npm ci && npm run build in web/)"
    )
    os.environ["GATEWAY_WEB_ROOT"] = str(WEB_DIST)


@pytest_asyncio.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright, expect

    # The stack shares the machine's cores with the rest of the suite: an answer may
    # take more than the assertions' default 5 s to arrive (never a speed check).
    expect.set_options(timeout=30_000)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


class Screens:
    """Numbered full-page screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    async def shot(self, page: Any, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name))


@pytest_asyncio.fixture
async def new_page(chromium: Any) -> AsyncIterator[Any]:
    """``await new_page()``: a page in a browser context of its own (its own cookies)."""
    contexts: list[Any] = []

    async def open_page(width: int = 1100) -> Any:
        context = await chromium.new_context(
            viewport={"width": width, "height": 900}, locale="ja-JP", accept_downloads=True
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    for context in contexts:
        await context.close()


@pytest.fixture(name="e2e")
def e2e_helpers() -> Any:
    """The end-to-end conftest module: its credentials and ``corporate_number()``."""
    return e2e


class OpsAccess:
    """The demo operator's sessions for the whole run, in the browser and over the API.

    The TOTP secret is handed out at the operator's first login only, so whichever
    login comes first keeps it here; and a code is good for one login only, so each
    login takes a code no earlier login used (the current step's, or a neighbour's
    that identity still accepts), waiting for the next step when all are spent.
    """

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.secret: str | None = None
        self._used: set[str] = set()
        self._headers: dict[str, str] | None = None
        self._headers_at = 0.0

    async def code(self) -> str:
        assert self.secret, "the operator's TOTP secret is not known yet"
        totp = pyotp.TOTP(self.secret)
        while True:
            now = time.time()
            for at in (now, now + 30, now - 30):
                code = totp.at(at)
                if code not in self._used:
                    self._used.add(code)
                    return code
            await asyncio.sleep(5)

    async def headers(self) -> dict[str, str]:
        """An ops bearer header over the API (renewed well before the token expires)."""
        if self._headers is None or time.monotonic() - self._headers_at > 600:
            http = self.stack.http
            body = {"login_id": e2e.OPS_EMAIL, "password": e2e.OPS_PASSWORD}
            async with http.post("/api/v1/auth/login", json=body) as response:
                challenge = await response.json()
                assert response.status == 200, challenge
            if "totp_enrollment" in challenge:
                self.secret = challenge["totp_enrollment"]["secret"]
            totp = {"challenge_token": challenge["challenge_token"], "code": await self.code()}
            async with http.post("/api/v1/auth/login/totp", json=totp) as response:
                tokens = await response.json()
                assert response.status == 200, tokens
            self._headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            self._headers_at = time.monotonic()
        return self._headers

    async def log_in(self, page: Any) -> None:
        """Log the operator in on ``page``: password, then the TOTP code."""
        from playwright.async_api import expect

        await page.goto(f"{self.stack.base_url}/login")
        await page.get_by_label("ログインID（メールアドレス）").fill(e2e.OPS_EMAIL)
        await page.get_by_label("パスワード").fill(e2e.OPS_PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        code = page.get_by_label("認証アプリの6桁のコード")
        await expect(code).to_be_visible()
        if await page.locator("#totp-secret").count():
            self.secret = await page.locator("#totp-secret").inner_text()
        await code.fill(await self.code())
        await page.get_by_role("button", name="確認").click()
        await expect(page.get_by_role("heading", name="運用コンソール", exact=True)).to_be_visible()


@pytest.fixture(scope="session")
def ops(stack: Any) -> OpsAccess:
    return OpsAccess(stack)


def last_month_start() -> date:
    """The first business day of last month (Japan time): a start whose month has ended."""
    today = to_jst(datetime.now(UTC)).date()
    first = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return first_business_day_on_or_after(first)


async def service_by_slug(stack: Any, slug: str) -> dict[str, Any]:
    async with stack.http.get("/api/v1/services", params={"limit": "100"}) as response:
        summaries = (await response.json())["items"]
    (summary,) = [s for s in summaries if s["slug"] == slug]
    async with stack.http.get(f"/api/v1/services/{summary['id']}") as response:
        service: dict[str, Any] = await response.json()
    return service


async def place_order(
    stack: Any, member: Any, service: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """An order of ``service`` placed over the API (retried while ordering has not yet
    learnt the lineup from catalog's events)."""
    async with stack.http.get(f"/api/v1/services/{service['id']}/start-dates") as response:
        desired = (await response.json())["earliest"]
    body = {
        "service_id": service["id"],
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": service["order_unit"],
        "desired_start_date": desired,
        "options": options,
    }
    headers = {**member.headers, "Idempotency-Key": str(uuid.uuid4())}

    async def place() -> dict[str, Any] | None:
        async with stack.http.post("/api/v1/orders", json=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
        if [e.get("code") for e in answer.get("errors", [])] == ["order.service_unavailable"]:
            return None
        assert response.status == 201, answer
        return answer

    order: dict[str, Any] = await eventually(place, timeout=60)
    return order


async def activate(stack: Any, ops: OpsAccess, order_id: str, start: date) -> dict[str, Any]:
    """Ops accept, provision and activate ``order_id`` on ``start``; returns the contract."""
    headers = await ops.headers()
    path = f"/api/v1/ops/ordering/orders/{order_id}"
    for action in ("accept", "start-provisioning"):
        async with stack.http.post(f"{path}/{action}", headers=headers) as response:
            assert response.status == 200, await response.text()
    body = {"start_date": start.isoformat()}
    async with stack.http.post(f"{path}/activate", json=body, headers=headers) as response:
        activation = await response.json()
        assert response.status == 200, activation
    contract: dict[str, Any] = activation["contract"]
    return contract


async def member_log_in(page: Any, base_url: str, address: str, password: str) -> None:
    """Log a member in on ``page`` and land on My Page."""
    from playwright.async_api import expect

    await page.goto(f"{base_url}/login")
    await page.get_by_label("ログインID（メールアドレス）").fill(address)
    await page.get_by_label("パスワード").fill(password)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.get_by_role("heading", name="マイページ", exact=True)).to_be_visible()


async def no_horizontal_overflow(page: Any) -> None:
    """The page is no wider than its viewport (nothing to scroll sideways)."""
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} overflows: {widths[0]}px in {widths[1]}px"


@pytest.fixture(name="kit")
def browser_kit() -> Any:
    """This module: its helpers (``kit.place_order``, ``kit.member_log_in`` …)."""
    return sys.modules[__name__]
