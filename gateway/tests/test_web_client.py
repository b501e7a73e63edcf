"""The built web client is served at `/`, client-side routes fall back to index.html,
and pages carry the security headers; API and internal paths never fall back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration

INDEX = "<!doctype html><title>bizmall</title><script src='/assets/app.js'></script>"


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app.js").write_text("console.log('bizmall')")
    (tmp_path.parent / "outside.txt").write_text("not part of the build")
    return tmp_path


async def test_pages_files_and_fallback(
    stack: Any, client: aiohttp.ClientSession, web_root: Path
) -> None:
    async with stack.gateway(stack.settings(web_root=str(web_root))) as gw:
        async with client.get(gw.url + "/") as home:
            home_body = await home.text()
        async with client.get(gw.url + "/orders/o-1/confirmation") as deep_link:
            deep_body = await deep_link.text()
        async with client.get(gw.url + "/assets/app.js") as asset:
            asset_body = await asset.text()
        async with client.get(gw.url + "/api/v1/nothing-here") as api_miss:
            api_problem = await api_miss.json(content_type=None)
        async with client.get(gw.url + "/internal/jwks") as internal:
            pass
        async with client.get(gw.url + "/..%2Foutside.txt") as escape:
            escape_body = await escape.text()

    assert (home.status, home_body) == (200, INDEX)
    assert (deep_link.status, deep_body) == (200, INDEX)
    assert (asset.status, asset_body) == (200, "console.log('bizmall')")
    csp = home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"]
    assert (api_miss.status, api_problem["code"]) == (404, "http.not_found")
    assert internal.status == 404
    assert "not part of the build" not in escape_body


async def test_without_a_build_the_root_is_404(gateway: Any, client: aiohttp.ClientSession) -> None:
    async with client.get(gateway.url + "/") as response:
        problem = await response.json(content_type=None)
    assert (response.status, problem["code"]) == (404, "http.not_found")
