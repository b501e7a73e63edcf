"""Sending email over SMTP (aiosmtplib), one reusable connection per mailer."""

from __future__ import annotations

import contextlib
import time
from email.message import EmailMessage

import aiosmtplib

from notification.config import Settings

#: A connection idle longer than this is checked with NOOP before the next message.
_IDLE_CHECK_SECONDS = 2.0


class SmtpMailer:
    """An SMTP client that keeps its connection between sends and drops it on any error."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        timeout: float,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._options = {
            "hostname": host,
            "port": port,
            "timeout": timeout,
            "username": username,
            "password": password,
        }
        self._client: aiosmtplib.SMTP | None = None
        self._used_at = 0.0

    async def _connection(self) -> aiosmtplib.SMTP:
        client = self._client
        if client is not None and client.is_connected:
            if time.monotonic() - self._used_at < _IDLE_CHECK_SECONDS:
                return client
            try:  # servers drop idle connections: check before trusting it with a message
                await client.noop()
                return client
            except aiosmtplib.SMTPException:
                await self.close()
        client = aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]
        await client.connect()
        self._client = client
        return client

    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the SMTP server; raises when the server did not accept it."""
        client = await self._connection()
        try:
            await client.send_message(message)
        except Exception:
            # The connection's state is unknown after an error: start clean next time.
            await self.close()
            raise
        self._used_at = time.monotonic()

    async def close(self) -> None:
        """Say goodbye to the server (best effort) and drop the connection."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                await client.quit()
            if client.is_connected:
                client.close()


def mailer_for(settings: Settings) -> SmtpMailer:
    """An SMTP mailer for the configured server."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout_seconds,
        username=settings.smtp_username,
        password=password,
    )
