"""The life of one email delivery (R27): pending → sent, or → failed after the last attempt.

One delivery per (event, template) is what makes sending effectively once; the
sender (``service_layer.sender``) attempts the pending ones and records each
outcome here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from notification.domain.contacts import MemberContact
from notification.domain.emails import TEMPLATES
from servicekit.aggregate import Aggregate
from servicekit.errors import Conflict, NotFound

DeliveryState = Literal["pending", "sent", "failed"]


class DeliveryNotFound(NotFound):
    """No such delivery."""

    def __init__(self) -> None:
        super().__init__(
            "delivery.not_found", ja="配信記録が見つかりません。", en="No such delivery."
        )


class DeliveryNotFailed(Conflict):
    """Only a failed delivery can be sent again by ops."""

    def __init__(self) -> None:
        super().__init__(
            "delivery.not_failed",
            ja="失敗した配信のみ再送できます。",
            en="Only a failed delivery can be sent again.",
        )


class PermanentFailure(Exception):
    """A delivery that waiting cannot fix (its template or sealed token is unusable)."""


@dataclass(frozen=True)
class Attachment:
    """A file mailed with a delivery (R41: the invoice PDF of a withdrawn member)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class AfterFailure:
    """What a failed attempt leaves: still pending with a later attempt, or failed."""

    state: DeliveryState
    next_attempt_at: datetime


def after_failure(
    *, attempts: int, retry_delays: Sequence[float], now: datetime, permanent: bool = False
) -> AfterFailure:
    """The state after attempt number ``attempts`` failed.

    Each retry waits longer (``retry_delays[attempts - 1]``); once every delay is
    used, or the failure cannot heal by waiting (``permanent``), the delivery is
    failed and stays for ops to see.
    """
    if permanent or attempts > len(retry_delays):
        return AfterFailure("failed", now)
    return AfterFailure("pending", now + timedelta(seconds=retry_delays[attempts - 1]))


@dataclass
class Delivery(Aggregate):
    """One email to send for one event.

    ``payload`` is the template's data; a one-time token in it is the sealed text
    from the event, opened only when the email is rendered. ``recipient`` is None
    until known: an inquiry answer recorded before the member's copy arrived.
    """

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    template: str
    member_id: uuid.UUID | None
    recipient: str | None
    language: str | None
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def queue(
        cls,
        *,
        event_id: uuid.UUID,
        event_type: str,
        template: str,
        member_id: uuid.UUID | None,
        recipient: str | None,
        language: str | None,
        payload: dict[str, Any],
        at: datetime,
        attachments: Sequence[Attachment] = (),
    ) -> Delivery:
        """A pending email, due at once; an unknown template is a programming error."""
        if template not in TEMPLATES:
            raise ValueError(f"unknown email template {template!r}")
        return cls(
            id=uuid.uuid4(),
            event_id=event_id,
            event_type=event_type,
            template=template,
            member_id=member_id,
            recipient=recipient,
            language=language,
            payload=payload,
            state="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
            attachments=tuple(attachments),
        )

    @property
    def needs_recipient(self) -> bool:
        """Only an inquiry answer can be recorded before the member's copy exists."""
        return self.recipient is None

    def address_to(self, contact: MemberContact | None) -> None:
        """Fill in the member's address, language and name; ``LookupError`` while the
        copy has not arrived (waiting may fix that)."""
        if contact is None:
            raise LookupError("the member's contact email is not known yet")
        self.recipient, self.language = contact.email, contact.language
        self.payload = {**self.payload, "name": contact.name}

    def start_attempt(self) -> int:
        """Count one more SMTP attempt; returns its number."""
        self.attempts += 1
        return self.attempts

    def sent(self, *, at: datetime) -> None:
        """The SMTP server accepted the email."""
        self.state = "sent"
        self.sent_at = at
        self.last_error = None

    def attempt_failed(
        self, error: str, *, retry_delays: Sequence[float], at: datetime, permanent: bool
    ) -> None:
        """The attempt failed: retry later, or fail for ops once retrying cannot help."""
        outcome = after_failure(
            attempts=self.attempts, retry_delays=retry_delays, now=at, permanent=permanent
        )
        self.state = outcome.state
        self.next_attempt_at = outcome.next_attempt_at
        self.last_error = error[:1000]

    def retry(self, *, at: datetime) -> None:
        """Ops send a failed email again once its cause is fixed: fresh attempts, due now."""
        if self.state != "failed":
            raise DeliveryNotFailed
        self.state, self.attempts, self.next_attempt_at = "pending", 0, at
