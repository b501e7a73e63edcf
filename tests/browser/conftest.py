"""A browser (Debian's Chromium, driven by Playwright) against a whole local stack.

The stack is the one ``tests/conftest.py`` starts for the end-to-end tests too
(``python -m devrun`` on free ports with this run's databases and a real SMTP
sink); its gateway serves the built web client (``make web``). Each test gets a
fresh browser context (no shared cookies) and keeps a screenshot of every step
under ``test-output/browser/<test>/``.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bizmall_testkit import data
from bizmall_testkit.client import Authenticator, Stack
from bizmall_testkit.processes import create_operator

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _served_web_client() -> None:
    """The stack's gateway serves this checkout's web build (``make web`` makes it;
    ``tests/conftest.py`` hands it to the gateway when it is there)."""
    if not CHROMIUM.exists():
        return
    assert (WEB_DIST / "index.html").is_file(), (
        f"{WEB_DIST} has no build: run `make web` (npm ci && npm run build in web/)"
    )


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
    """The shared test data (``bizmall_testkit.data``): the members' password, the
    operator's credentials and ``corporate_number()``."""
    return data


#: Operators of the stack's own who open the console in the browser tests.
CONSOLE_OPERATORS = 4


class OpsAccess:
    """Operators in the browser; over the API it is ``stack.ops_headers()``.

    A TOTP code is good for one login only, and an authenticator yields a new code
    once per 30-second step: one operator logging in for every browser test made
    each test wait for the next step (about 30 s a test, minutes of every CI run).
    So the console is opened in turn by :data:`CONSOLE_OPERATORS` operators of the
    stack's own, made on first use, each with an authenticator of its own: their
    first login enrols it from the secret the page shows. ``demo=True`` logs the
    demo operator in instead, for a test about that very operator (its
    authenticator is the stack's, shared with ``stack.ops_headers()``).
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._console: list[tuple[str, str, Authenticator]] = []
        self._turn = 0

    async def _next_operator(self) -> tuple[str, str, Authenticator]:
        if not self._console:
            made = await asyncio.gather(
                *(
                    create_operator(self.stack.env, tag=f"console{n}")
                    for n in range(CONSOLE_OPERATORS)
                )
            )
            self._console = [(email, password, Authenticator()) for email, password in made]
        operator = self._console[self._turn % len(self._console)]
        self._turn += 1
        return operator

    async def log_in(self, page: Any, *, demo: bool = False) -> str:
        """Log an operator in on ``page`` (password, then the TOTP code); its login ID."""
        from playwright.async_api import expect

        if demo:
            credentials = self.stack.credentials
            login_id, password = credentials.ops_email, credentials.ops_password
            authenticator = self.stack.authenticator
        else:
            login_id, password, authenticator = await self._next_operator()
        await page.goto(f"{self.stack.base_url}/login")
        await page.get_by_label("ログインID（メールアドレス）").fill(login_id)
        await page.get_by_label("パスワード").fill(password)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        code = page.get_by_label("認証アプリの6桁のコード")
        await expect(code).to_be_visible()
        if await page.locator("#totp-secret").count():
            authenticator.secret = await page.locator("#totp-secret").inner_text()
        await code.fill(await authenticator.code())
        await page.get_by_role("button", name="確認").click()
        await expect(page.get_by_role("heading", name="運用コンソール", exact=True)).to_be_visible()
        return login_id


@pytest.fixture(scope="session")
def ops(stack: Stack) -> OpsAccess:
    return OpsAccess(stack)


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
    """This module: its page helpers (``kit.member_log_in``, ``kit.no_horizontal_overflow``)."""
    return sys.modules[__name__]
