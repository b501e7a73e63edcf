"""Synchronous service-to-service calls, for the few places a user waits.

Events are the default way services cooperate; a direct call is only for an
answer needed now (ordering asking catalog for the current plan price). Such a
call has a hard timeout, carries the request and correlation ids, and fails
with a typed :class:`UpstreamUnavailable` that the caller turns into a 503
problem instead of a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from servicekit.context import (
    CORRELATION_ID_HEADER,
    REQUEST_ID_HEADER,
    current_correlation_id,
    request_id_var,
)
from servicekit.responses import json_bytes


class UpstreamUnavailable(Exception):
    """The other service could not answer: unreachable, timed out or failed (5xx)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason


class UpstreamError(Exception):
    """The other service refused the call (4xx); ``body`` is its parsed answer."""

    def __init__(self, service: str, status: int, body: Any) -> None:
        super().__init__(f"{service} answered {status}")
        self.service = service
        self.status = status
        self.body = body

    @property
    def code(self) -> str | None:
        """The problem ``code`` of the answer, when it was a problem document."""
        return self.body.get("code") if isinstance(self.body, dict) else None


class ServiceClient:
    """A small JSON client for another bizmall service.

    ``base_urls`` may list several instances; one that refuses the
    connection is skipped for the next (the request never reached it, so
    even a POST is safe to send again). One ``aiohttp`` session serves all
    calls of the client; call :meth:`close` on shutdown.
    """

    def __init__(
        self,
        base_urls: str | Sequence[str],
        *,
        timeout: float = 3.0,
        service: str | None = None,
    ) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("ServiceClient needs at least one base URL")
        self._base_urls = [url.rstrip("/") for url in urls]
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.service = service or self._base_urls[0]
        self._session: aiohttp.ClientSession | None = None

    async def get_json(self, path: str, **params: Any) -> Any:
        """``GET path`` with query ``params`` (``None`` values left out); the JSON answer."""
        query = {name: str(value) for name, value in params.items() if value is not None}
        return await self._request("GET", path, params=query)

    async def post_json(self, path: str, json: Any) -> Any:
        """``POST path`` with ``json`` as the body; the JSON answer (``None`` if empty)."""
        return await self._request(
            "POST", path, data=json_bytes(json), content_type="application/json"
        )

    async def close(self) -> None:
        """Close the underlying session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", CORRELATION_ID_HEADER: current_correlation_id()}
        request_id = request_id_var.get()
        if request_id is not None:
            headers[REQUEST_ID_HEADER] = request_id
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = self._headers(content_type)
        last_reason = "no instance tried"
        for base_url in self._base_urls:
            try:
                async with self._session.request(
                    method, base_url + path, params=params, data=data, headers=headers
                ) as response:
                    status = response.status
                    raw = await response.read()
            except aiohttp.ClientConnectorError as exc:
                last_reason = f"cannot connect to {base_url}: {exc.os_error}"
                continue
            except TimeoutError:
                raise UpstreamUnavailable(self.service, f"{method} {path} timed out") from None
            except aiohttp.ClientError as exc:
                raise UpstreamUnavailable(self.service, f"{method} {path}: {exc!r}") from None
            return self._answer(method, path, status, raw)
        raise UpstreamUnavailable(self.service, last_reason)

    def _answer(self, method: str, path: str, status: int, raw: bytes) -> Any:
        if status >= 500:
            raise UpstreamUnavailable(self.service, f"{method} {path} answered {status}")
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            if status >= 400:
                raise UpstreamError(self.service, status, None) from None
            raise UpstreamUnavailable(
                self.service, f"{method} {path} answered {status} with a body that is not JSON"
            ) from None
        if status >= 400:
            raise UpstreamError(self.service, status, body)
        return body
