"""The sender: mails pending deliveries after their transaction committed (R27).

Due deliveries are claimed a batch at a time, one per SMTP connection, with
``FOR UPDATE SKIP LOCKED``, and stay locked while they are rendered and handed to
SMTP side by side; the same transaction marks each sent, or counts its failed
attempt and schedules the next one with a growing delay.
State lives in the database, so a restart resumes where it stopped.

Effectively once: the unique (event_id, template) key means one row per email,
and a row is only mailed while ``pending``. The one at-least-once window is a
crash (or lost database connection) after the SMTP server accepted a message
and before the commit marking its batch sent: those rows (at most one per SMTP
connection, as many as were in flight) are still pending and are mailed again.
The Message-ID is derived from the delivery id, so such a duplicate carries the
same Message-ID as the first copy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import quote

import asyncpg
from jinja2 import TemplateError
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from notification.adapters.mailer import SmtpMailer
from notification.adapters.rendering import EmailRenderer, RenderedEmail
from notification.adapters.tables import Delivery, MemberContact
from notification.config import Settings
from notification.domain.delivery import after_failure
from notification.domain.emails import SEALED_TOKEN_KEY, TOKEN_LINK_PATHS
from notification.service_layer.deliveries import DELIVERY_CHANNEL, TRACE_KEY
from servicekit import tracing
from servicekit.clock import system_clock
from servicekit.crypto import SecretBox
from servicekit.logging import get_logger
from servicekit.metrics import REGISTRY
from servicekit.relay import asyncpg_dsn

_log = get_logger("notification.sender")

EMAIL_SENT = Counter(
    "bizmall_email_sent_total",
    "Emails the SMTP server accepted, by template.",
    ("template",),
    registry=REGISTRY,
)
EMAIL_SEND_FAILURES = Counter(
    "bizmall_email_send_failures_total",
    "Failed attempts to send an email (each retry counts), by template.",
    ("template",),
    registry=REGISTRY,
)


class PermanentFailure(Exception):
    """A delivery that waiting cannot fix (its template or sealed token is unusable)."""


def renderer_for(settings: Settings) -> EmailRenderer:
    """The email renderer with the values every email shows."""
    return EmailRenderer(
        common={
            "base_url": settings.web_base_url.rstrip("/"),
            "contact_center_phone": settings.contact_center_phone,
            "contact_center_hours": {
                "ja": settings.contact_center_hours_ja,
                "en": settings.contact_center_hours_en,
            },
        }
    )


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


class DeliverySender:
    """Mails due deliveries over ``delivery_concurrency`` SMTP connections."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        mailer_factory: Callable[[], SmtpMailer] | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.renderer = renderer_for(settings)
        self._box = SecretBox(settings.event_secret_key)
        self._mailer_factory = mailer_factory or (lambda: mailer_for(settings))
        self._wake = asyncio.Event()

    async def run_cycle(self) -> None:
        """Send what is due, then keep sending as deliveries are recorded (LISTEN) or
        fall due (poll), for ``delivery_cycle_seconds``; the body of the periodic job."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.delivery_cycle_seconds
        listener = await self._listen()
        # Connections live for the cycle: a burst of emails does not reconnect per email.
        mailers = [self._mailer_factory() for _ in range(self.settings.delivery_concurrency)]
        try:
            while True:
                self._wake.clear()
                await self.send_due(mailers)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    timeout = min(remaining, self.settings.delivery_poll_seconds)
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            await asyncio.gather(*(mailer.close() for mailer in mailers))
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close(timeout=2)

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection = await asyncpg.connect(asyncpg_dsn(self.settings.database_url), timeout=5)
            await connection.add_listener(DELIVERY_CHANNEL, lambda *_args: self._wake.set())
        except Exception as exc:  # the poll still finds every delivery, only later
            _log.warning("cannot listen for new deliveries; polling", error=str(exc))
            return None
        return connection

    async def send_due(self, mailers: list[SmtpMailer]) -> int:
        """Attempt every delivery due now, a batch of one per mailer at a time; returns
        the attempts made."""
        attempts = 0
        # A failed attempt reschedules its row into the future, so this ends.
        while claimed := await self.attempt_batch(mailers):
            attempts += claimed
        return attempts

    async def attempt_batch(self, mailers: list[SmtpMailer]) -> int:
        """Claim up to one due delivery per mailer and mail them side by side; the one
        transaction that claimed them records every outcome. Returns how many were
        attempted (0: none due).

        One claim, one update and one commit serve the whole batch: a delivery used to
        take its own transaction (five database round trips before and after its SMTP
        exchange), which made the sender the slowest hop of an order's confirmation
        mail (the issue 9 benchmark's per-hop figures and profile).
        """
        async with self.sessions() as session, session.begin():
            rows = list(
                (
                    await session.execute(
                        select(Delivery)
                        .where(col(Delivery.state) == "pending")
                        .where(col(Delivery.next_attempt_at) <= system_clock())
                        .order_by(col(Delivery.next_attempt_at))
                        .limit(len(mailers))
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            # The session is not for concurrent use: recipients are looked up first.
            unresolved: dict[int, Exception] = {}
            for index, row in enumerate(rows):
                try:
                    await self._resolve_recipient(session, row)
                except LookupError as exc:
                    unresolved[index] = exc
            await asyncio.gather(
                *(
                    self._attempt(row, mailer, unresolved.get(index))
                    for index, (row, mailer) in enumerate(zip(rows, mailers, strict=False))
                )
            )
        return len(rows)

    async def _attempt(self, row: Delivery, mailer: SmtpMailer, problem: Exception | None) -> None:
        row.attempts += 1
        log = _log.bind(delivery_id=str(row.id), event_id=str(row.event_id), template=row.template)
        try:
            with tracing.span(
                "smtp send",
                kind=tracing.SpanKind.CLIENT,
                parent={tracing.TRACEPARENT: row.payload.get(TRACE_KEY)},
                attributes={"bizmall.template": row.template, "bizmall.attempt": row.attempts},
            ):
                if problem is not None:
                    raise problem
                message = self.compose(row)
                await mailer.send(message)
        except Exception as exc:
            EMAIL_SEND_FAILURES.labels(row.template).inc()
            permanent = isinstance(exc, PermanentFailure)
            outcome = after_failure(
                attempts=row.attempts,
                retry_delays=self.settings.delivery_retry_seconds,
                now=system_clock(),
                permanent=permanent,
            )
            row.state = outcome.state
            row.next_attempt_at = outcome.next_attempt_at
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning(
                "email not sent",
                attempt=row.attempts,
                state=row.state,
                error=row.last_error,
            )
            return
        EMAIL_SENT.labels(row.template).inc()
        row.state = "sent"
        row.sent_at = system_clock()
        row.last_error = None
        log.info("email sent", attempt=row.attempts)

    async def _resolve_recipient(self, session: AsyncSession, row: Delivery) -> None:
        # Only an inquiry answer can be recorded before the member's copy exists.
        if row.recipient is not None:
            return
        contact = await session.get(MemberContact, row.member_id) if row.member_id else None
        if contact is None:
            raise LookupError("the member's contact email is not known yet")
        row.recipient, row.language = contact.email, contact.language
        row.payload = {**row.payload, "name": contact.name}

    def render(self, row: Delivery) -> RenderedEmail:
        """The email of ``row``, its sealed token (if any) opened into the link."""
        data = dict(row.payload)
        data.pop(TRACE_KEY, None)
        sealed = data.pop(SEALED_TOKEN_KEY, None)
        try:
            if sealed is not None:
                token = self._box.open(sealed)
                base = self.settings.web_base_url.rstrip("/")
                path = TOKEN_LINK_PATHS[row.template]
                data["link"] = f"{base}{path}?token={quote(token, safe='')}"
            language = "en" if row.language == "en" else "ja"
            return self.renderer.render(row.template, language, data)
        except (ValueError, KeyError, TemplateError) as exc:
            raise PermanentFailure(f"cannot render {row.template}: {type(exc).__name__}") from None

    def compose(self, row: Delivery) -> EmailMessage:
        """The full message of ``row`` (headers and plain-text body)."""
        rendered = self.render(row)
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = row.recipient
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{row.id}@notification.bizmall>"
        message["X-Bizmall-Template"] = row.template
        message["X-Bizmall-Event-ID"] = str(row.event_id)
        message.set_content(rendered.body, charset="utf-8")
        return message
