"""Issue 19 item 10 on the real Redis: free-text searches are normalised and never
cached, and the lineup pages a client can vary at will are cached within a budget."""

from __future__ import annotations

import uuid

from catalog.adapters.cache import LineupCache
from services.catalog.tests.integration import test_catalog_api
from services.catalog.tests.integration.test_catalog_api import (
    Catalog,
    new_category,
    published_service,
)

#: The catalog app on its own database (the fixture of the API tests).
catalog = test_catalog_api.catalog


async def _entries(catalog: Catalog, namespace: str) -> int:
    redis = catalog.app.state.runtime.redis
    return len([key async for key in redis.scan_iter(f"{namespace}:catalog:public:*")])


def _own_cache(catalog: Catalog, **options: int) -> str:
    # A namespace of this test's own, so other tests' entries do not count.
    namespace = f"{catalog.app.state.runtime.settings.redis_namespace}:{uuid.uuid4().hex[:8]}"
    redis = catalog.app.state.runtime.redis
    catalog.app.state.lineup_cache = LineupCache(redis, namespace, **options)
    return namespace


async def test_item10_distinct_searches_are_answered_but_never_cached(catalog: Catalog) -> None:
    service = await published_service(catalog, new_category())
    namespace = _own_cache(catalog)
    for n in range(200):
        response = await catalog.client.get("/api/v1/services", params={"q": f"nothing {n}"})
        assert response.status_code == 200 and response.json()["items"] == []
    # Full-width letters and odd spacing find the same service (NFKC, spaces collapsed).
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in service["slug"])
    found = await catalog.client.get("/api/v1/services", params={"q": f"  Test\u3000 {wide} "})
    assert [item["slug"] for item in found.json()["items"]] == [service["slug"]]
    assert found.headers["etag"]
    assert await _entries(catalog, namespace) == 0


async def test_item10_lineup_pages_are_cached_within_the_listing_budget(catalog: Catalog) -> None:
    namespace = _own_cache(catalog, listing_budget=20)
    for n in range(60):
        response = await catalog.client.get("/api/v1/services", params={"category": f"c{n}"})
        assert response.status_code == 200
    assert await _entries(catalog, namespace) == 20
    # A service's own page is no listing: it is cached past the budget.
    service = await published_service(catalog)
    await catalog.client.get(f"/api/v1/services/{service['id']}")
    assert await _entries(catalog, namespace) == 21
