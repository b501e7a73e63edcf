"""Ordering's /internal API as identity uses it: what blocks a member's withdrawal (R11).

Contract (served by ordering): ``GET /internal/members/{member_id}/withdrawal-blockers``
→ ``{"items": [BlockingItem, ...]}`` — open orders (not yet active or rejected) and
not-yet-ended contracts of services that require contracts to be ended first.
"""

from __future__ import annotations

import uuid

import aiohttp
from pydantic import BaseModel, ValidationError

from bizmall_events.identity import BlockingItem
from identity.config import Settings
from servicekit.logging import get_logger

_log = get_logger(__name__)


class _Blockers(BaseModel):
    items: tuple[BlockingItem, ...]


class OrderingUnavailable(Exception):
    """Ordering did not give a usable answer in time; the request must wait."""


class OrderingClient:
    """Asks ordering, with a timeout, what blocks a withdrawal."""

    def __init__(self, base_url: str, *, timeout_seconds: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @classmethod
    def of(cls, settings: Settings) -> OrderingClient:
        """The client the settings describe."""
        return cls(settings.ordering_url, timeout_seconds=settings.http_timeout_seconds)

    async def withdrawal_blockers(self, member_id: uuid.UUID) -> tuple[BlockingItem, ...]:
        """The member's blocking orders and contracts; ``OrderingUnavailable`` otherwise."""
        url = f"{self._base_url}/internal/members/{member_id}/withdrawal-blockers"
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.get(url) as response:
                    response.raise_for_status()
                    body = await response.read()
            return _Blockers.model_validate_json(body).items
        except (aiohttp.ClientError, TimeoutError, ValidationError) as exc:
            _log.warning("ordering withdrawal check failed", error=repr(exc))
            raise OrderingUnavailable from exc
