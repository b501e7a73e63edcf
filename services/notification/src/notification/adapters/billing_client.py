"""Billing's /internal API as notification uses it: the invoice PDF mailed to a withdrawn
member (R41).

Contract (served by billing): ``GET /internal/invoices/{invoice_id}/pdf`` with
``Authorization: Bearer <token>`` → ``application/pdf``.
"""

from __future__ import annotations

import uuid

import aiohttp

from notification.config import Settings
from servicekit.logging import get_logger

_log = get_logger(__name__)


class BillingUnavailable(Exception):
    """Billing gave no usable PDF now; the event is retried (never mailed without it)."""


class BillingClient:
    """Fetches an invoice's PDF from billing, with a timeout."""

    def __init__(self, base_url: str, *, token: str, timeout_seconds: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @classmethod
    def of(cls, settings: Settings) -> BillingClient:
        """The client the settings describe."""
        return cls(
            settings.billing_url,
            token=settings.billing_internal_token.get_secret_value(),
            timeout_seconds=max(settings.http_timeout_seconds, 10.0),
        )

    async def invoice_pdf(self, invoice_id: uuid.UUID) -> bytes:
        """The invoice as PDF; ``BillingUnavailable`` when billing cannot give it now."""
        url = f"{self._base_url}/internal/invoices/{invoice_id}/pdf"
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.get(url, headers=self._headers) as response:
                    response.raise_for_status()
                    pdf = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("invoice PDF not fetched", invoice_id=str(invoice_id), error=repr(exc))
            raise BillingUnavailable(f"invoice PDF {invoice_id}: {type(exc).__name__}") from exc
        if not pdf.startswith(b"%PDF"):
            raise BillingUnavailable(f"invoice PDF {invoice_id}: not a PDF")
        return pdf
