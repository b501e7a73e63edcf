"""A browser (Debian's Chromium, driven by Playwright) against a whole local stack.

The stack is the end-to-end tests' one (``tests/e2e/conftest.py``: ``python -m
devrun`` on free ports with this run's databases and a real SMTP sink), loaded
from that file rather than copied; its gateway serves the built web client
(``make web``). Each test gets a fresh browser context (no shared cookies) and
keeps a screenshot of every step under ``test-output/browser/<test>/``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

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
    from playwright.async_api import async_playwright

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
