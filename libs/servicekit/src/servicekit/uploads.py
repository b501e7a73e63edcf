"""Reading an uploaded file sent as the request body itself, with a size limit."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request


async def read_body(
    request: Request, *, max_bytes: int, too_large: Callable[[], Exception]
) -> bytes:
    """The whole body of ``request``, refused with ``too_large()`` as soon as it is known
    to exceed ``max_bytes``: by its ``Content-Length`` before anything is read, else
    while it is counted as it comes (chunked), so no more than the limit is held."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large()
    content = bytearray()
    async for chunk in request.stream():
        content.extend(chunk)
        if len(content) > max_bytes:
            raise too_large()
    return bytes(content)
