"""In-memory stand-ins for notification's ports: its unit of work and repositories (same
method names and signatures as ``adapters/repository.py``), an SMTP mailer and Redis."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from email.message import EmailMessage
from typing import Any, TypeVar

from notification.domain.contacts import MemberContact
from notification.domain.delivery import Delivery
from notification.domain.inquiries import Inquiry
from notification.domain.notices import Notice
from servicekit.pagination import Page, decode_cursor, page_of
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository

T = TypeVar("T", Delivery, Inquiry)


def _newest_first(items: Iterable[T], *, limit: int, cursor: str | None) -> Page[T]:
    """Keyset paging over (created_at, id) descending, as the SQL repositories page."""
    ordered = sorted(items, key=lambda item: (item.created_at, item.id), reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor, datetime, uuid.UUID)
        ordered = [item for item in ordered if (item.created_at, item.id) < after]
    return page_of(ordered[: limit + 1], limit=limit, key=lambda item: (item.created_at, item.id))


class InMemoryContacts(InMemoryRepository[uuid.UUID, MemberContact]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda contact: contact.member_id)

    async def get(self, member_id: uuid.UUID) -> MemberContact | None:
        return self.find(member_id)

    async def save_if_newer(self, contact: MemberContact) -> bool:
        stored = self.items.get(contact.member_id)
        if not contact.supersedes(stored):
            return False
        if contact.organization_name is None and stored is not None:
            # As the SQL copy: an event without the organization never erases it.
            contact = dataclasses.replace(contact, organization_name=stored.organization_name)
        self.put(contact)
        return True

    async def of_members(self, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, MemberContact]:
        return {i: self.items[i] for i in member_ids if i in self.items}

    async def mark_withdrawn(self, member_id: uuid.UUID) -> None:
        stored = self.items.get(member_id)
        if stored is not None:
            self.put(dataclasses.replace(stored, status="withdrawn"))


class InMemoryOrders:
    """Who placed each order (``OrderCopyRepository``)."""

    def __init__(self) -> None:
        self.owners: dict[uuid.UUID, uuid.UUID] = {}

    async def remember(self, *, order_id: uuid.UUID, member_id: uuid.UUID, at: datetime) -> None:
        self.owners.setdefault(order_id, member_id)

    async def owner_of(self, order_id: uuid.UUID) -> uuid.UUID | None:
        return self.owners.get(order_id)


class FakeBilling:
    """Billing's invoice PDFs (``BillingClient``); raises ``failure`` while it is set."""

    def __init__(self) -> None:
        self.failure: Exception | None = None
        self.asked: list[uuid.UUID] = []

    async def invoice_pdf(self, invoice_id: uuid.UUID) -> bytes:
        self.asked.append(invoice_id)
        if self.failure is not None:
            raise self.failure
        return b"%PDF-1.4 invoice " + str(invoice_id).encode()


class InMemoryDeliveries(InMemoryRepository[uuid.UUID, Delivery]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda delivery: delivery.id)
        #: How often the sender was told there is work (NOTIFY in SQL).
        self.wakeups = 0

    async def add(self, delivery: Delivery) -> bool:
        if self.where(lambda d: (d.event_id, d.template) == (delivery.event_id, delivery.template)):
            return False
        self.put(delivery)
        await self.wake_sender()
        return True

    async def wake_sender(self) -> None:
        self.wakeups += 1

    async def get(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
        return self.find(delivery_id)

    async def claim_due(self, *, now: datetime, limit: int) -> list[Delivery]:
        due = self.where(lambda d: d.state == "pending" and d.next_attempt_at <= now)
        return sorted(due, key=lambda d: d.next_attempt_at)[:limit]

    async def page(
        self,
        *,
        state: str | None,
        template: str | None,
        member_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Delivery]:
        wanted = {"state": state, "template": template, "member_id": member_id}
        wanted["event_id"] = event_id
        matching = self.where(
            lambda d: all(v is None or getattr(d, k) == v for k, v in wanted.items())
        )
        return _newest_first(matching, limit=limit, cursor=cursor)


class InMemoryInquiries(InMemoryRepository[uuid.UUID, Inquiry]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda inquiry: inquiry.id)

    def add(self, inquiry: Inquiry) -> None:
        self.put(inquiry)

    async def get(self, inquiry_id: uuid.UUID, *, for_update: bool = False) -> Inquiry | None:
        return self.find(inquiry_id)

    async def page(
        self, *, member_id: uuid.UUID | None, status: str | None, limit: int, cursor: str | None
    ) -> Page[Inquiry]:
        matching = self.where(
            lambda i: (
                (member_id is None or i.member_id == member_id)
                and (status is None or i.status == status)
            )
        )
        return _newest_first(matching, limit=limit, cursor=cursor)


class InMemoryNotices(InMemoryRepository[uuid.UUID, Notice]):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, key=lambda notice: notice.id)

    def add(self, notice: Notice) -> None:
        self.put(notice)

    async def get(self, notice_id: uuid.UUID, *, for_update: bool = False) -> Notice | None:
        return self.find(notice_id)

    async def published(self, now: datetime) -> list[Notice]:
        return self.where(lambda n: not n.withdrawn and n.draft.publish_at <= now)

    async def newest_first(self) -> list[Notice]:
        return sorted(self.where(lambda n: True), key=lambda n: n.created_at, reverse=True)

    async def maintenance_not_over(self, now: datetime) -> list[Notice]:
        live = self.where(
            lambda n: (
                n.window.is_maintenance
                and not n.withdrawn
                and n.draft.ends_at is not None
                and n.draft.ends_at > now
            )
        )
        return sorted(live, key=lambda n: n.draft.starts_at or now)


class FakeNotificationUnitOfWork(FakeUnitOfWork):
    """Notification's unit of work in memory; its repositories outlive each ``async with``
    (like the tables do), so one fake serves a whole test."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="notification", now=now)
        self.contacts = InMemoryContacts(self)
        self.orders = InMemoryOrders()
        self.deliveries = InMemoryDeliveries(self)
        self.inquiries = InMemoryInquiries(self)
        self.notices = InMemoryNotices(self)


class FakeMailer:
    """An SMTP connection that accepts every message, or raises ``failure`` when set."""

    def __init__(self, outbox: list[EmailMessage], failure: Callable[[], Exception | None]):
        self._outbox = outbox
        self._failure = failure
        self.closed = False

    async def send(self, message: EmailMessage) -> None:
        failure = self._failure()
        if failure is not None:
            raise failure
        self._outbox.append(message)

    async def close(self) -> None:
        self.closed = True


class FakeRedis:
    """The two Redis commands the maintenance board and the gateway use."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    async def get(self, key: str) -> Any:
        return self.values.get(key)


class BrokenBoard:
    """A maintenance board whose Redis is down."""

    async def write(self, windows: list[dict[str, Any]]) -> None:
        raise ConnectionError("redis is down")
