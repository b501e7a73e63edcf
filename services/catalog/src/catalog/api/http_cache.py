"""Cached, revalidatable answers: ETag, Cache-Control and 304 (RFC 9110 §13)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from catalog.adapters.cache import CachedBody, LineupCache

#: Browsers and the gateway may reuse an answer briefly, then must revalidate:
#: the lineup can change without notice (R28), but not every second.
PUBLIC_CACHE_CONTROL = "public, max-age=30"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison, as RFC 9110 prescribes for If-None-Match.
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


async def cached_answer(
    request: Request,
    cache: LineupCache,
    name: str,
    render: Callable[[], Awaitable[bytes]],
    *,
    cache_control: str = PUBLIC_CACHE_CONTROL,
    listing: bool = False,
) -> Response:
    """The answer for ``name``: from the cache (this process's, else Redis), else
    rendered and cached; 304 when the client's ``If-None-Match`` already holds it.
    ``listing``: see :meth:`LineupCache.answer`."""
    answer = await cache.answer(name, render, listing=listing)
    return revalidatable(request, answer, cache_control=cache_control)


def revalidatable(
    request: Request, answer: CachedBody, *, cache_control: str = PUBLIC_CACHE_CONTROL
) -> Response:
    """``answer`` with its ETag, or 304 when the client's ``If-None-Match`` holds it."""
    headers = {"ETag": answer.etag, "Cache-Control": cache_control}
    if _matches(request.headers.get("if-none-match"), answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=answer.body, media_type="application/json", headers=headers)
