"""The sender: mails pending deliveries after their transaction committed (R27).

Due deliveries are claimed a batch at a time, one per SMTP connection, with
``FOR UPDATE SKIP LOCKED``, and stay locked while they are rendered and handed to
SMTP side by side; the same transaction marks each sent, or counts its failed
attempt and schedules the next one with a growing delay.
State lives in the database, so a restart resumes where it stopped.

Effectively once: the unique (event_id, template) key means one delivery per
email, and a delivery is only mailed while ``pending``. The one at-least-once
window is a crash (or lost database connection) after the SMTP server accepted a
message and before the commit marking its batch sent: those deliveries (at most
one per SMTP connection, as many as were in flight) are still pending and are
mailed again. The Message-ID is derived from the delivery id, so such a duplicate
carries the same Message-ID as the first copy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from prometheus_client import Counter

from notification.domain.delivery import Delivery, PermanentFailure
from notification.domain.emails import TRACE_KEY
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit import tracing
from servicekit.logging import get_logger
from servicekit.metrics import REGISTRY

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


class Mailer(Protocol):
    """One SMTP connection (``adapters.mailer.SmtpMailer``)."""

    async def send(self, message: EmailMessage) -> None: ...

    async def close(self) -> None: ...


class Composer(Protocol):
    """Turns a delivery into its message (``adapters.rendering.MessageComposer``); raises
    :class:`PermanentFailure` when no retry can help."""

    def compose(self, delivery: Delivery) -> EmailMessage: ...


class Listener(Protocol):
    """Calls ``wake`` whenever a delivery commits (``adapters.wakeup.DeliveryListener``)."""

    async def start(self, wake: Callable[[], None]) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class SenderPolicy:
    """How the sender paces itself (from the service's settings)."""

    retry_delays: Sequence[float]
    concurrency: int = 4
    cycle_seconds: float = 5.0
    poll_seconds: float = 1.0


class DeliverySender:
    """Mails due deliveries over ``policy.concurrency`` SMTP connections."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotificationUnitOfWork],
        composer: Composer,
        mailer_factory: Callable[[], Mailer],
        policy: SenderPolicy,
        listener: Listener | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self.composer = composer
        self._mailer_factory = mailer_factory
        self.policy = policy
        self._listener = listener
        self._wake = asyncio.Event()

    async def run_cycle(self) -> None:
        """Send what is due, then keep sending as deliveries are recorded (LISTEN) or
        fall due (poll), for ``cycle_seconds``; the body of the periodic job."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.cycle_seconds
        if self._listener is not None:
            await self._listener.start(self._wake.set)
        # Connections live for the cycle: a burst of emails does not reconnect per email.
        mailers = [self._mailer_factory() for _ in range(self.policy.concurrency)]
        try:
            while True:
                self._wake.clear()
                await self.send_due(mailers)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    timeout = min(remaining, self.policy.poll_seconds)
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            await asyncio.gather(*(mailer.close() for mailer in mailers))
            if self._listener is not None:
                await self._listener.stop()

    async def send_due(self, mailers: Sequence[Mailer]) -> int:
        """Attempt every delivery due now, a batch of one per mailer at a time; returns
        the attempts made."""
        attempts = 0
        # A failed attempt reschedules its delivery into the future, so this ends.
        while claimed := await self.attempt_batch(mailers):
            attempts += claimed
        return attempts

    async def attempt_batch(self, mailers: Sequence[Mailer]) -> int:
        """Claim up to one due delivery per mailer and mail them side by side; the one
        transaction that claimed them records every outcome. Returns how many were
        attempted (0: none due).

        One claim, one update and one commit serve the whole batch: a delivery used to
        take its own transaction (five database round trips before and after its SMTP
        exchange), which made the sender the slowest hop of an order's confirmation
        mail (the issue 9 benchmark's per-hop figures and profile).
        """
        async with self._uow_factory() as uow:
            batch = await uow.deliveries.claim_due(now=uow.now(), limit=len(mailers))
            # The transaction is not for concurrent use: recipients are looked up first.
            unresolved: dict[int, Exception] = {}
            for index, delivery in enumerate(batch):
                if delivery.needs_recipient:
                    member_id = delivery.member_id
                    contact = await uow.contacts.get(member_id) if member_id else None
                    try:
                        delivery.address_to(contact)
                    except LookupError as exc:
                        unresolved[index] = exc
            await asyncio.gather(
                *(
                    self._attempt(uow, delivery, mailer, unresolved.get(index))
                    for index, (delivery, mailer) in enumerate(zip(batch, mailers, strict=False))
                )
            )
            await uow.commit()
        return len(batch)

    async def _attempt(
        self,
        uow: NotificationUnitOfWork,
        delivery: Delivery,
        mailer: Mailer,
        problem: Exception | None,
    ) -> None:
        attempt = delivery.start_attempt()
        log = _log.bind(
            delivery_id=str(delivery.id),
            event_id=str(delivery.event_id),
            template=delivery.template,
        )
        try:
            with tracing.span(
                "smtp send",
                kind=tracing.SpanKind.CLIENT,
                parent={tracing.TRACEPARENT: delivery.payload.get(TRACE_KEY)},
                attributes={"bizmall.template": delivery.template, "bizmall.attempt": attempt},
            ):
                if problem is not None:
                    raise problem
                await mailer.send(self.composer.compose(delivery))
        except Exception as exc:
            EMAIL_SEND_FAILURES.labels(delivery.template).inc()
            delivery.attempt_failed(
                f"{type(exc).__name__}: {exc}",
                retry_delays=self.policy.retry_delays,
                at=uow.now(),
                permanent=isinstance(exc, PermanentFailure),
            )
            log.warning(
                "email not sent", attempt=attempt, state=delivery.state, error=delivery.last_error
            )
            return
        EMAIL_SENT.labels(delivery.template).inc()
        delivery.sent(at=uow.now())
        log.info("email sent", attempt=attempt)
