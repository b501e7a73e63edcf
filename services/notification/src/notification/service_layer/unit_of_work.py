"""Notification's unit of work: the platform's, plus a repository per aggregate."""

from __future__ import annotations

from typing import Self

from notification.adapters.repository import (
    ContactRepository,
    DeliveryRepository,
    InquiryRepository,
    NoticeRepository,
    OrderCopyRepository,
)
from servicekit.runtime import Runtime
from servicekit.uow import UnitOfWork


class NotificationUnitOfWork(UnitOfWork):
    """A transaction with ``contacts``, ``orders``, ``deliveries``, ``inquiries`` and
    ``notices`` bound to its session; the aggregates they handed out are written back
    before it flushes."""

    contacts: ContactRepository
    orders: OrderCopyRepository
    deliveries: DeliveryRepository
    inquiries: InquiryRepository
    notices: NoticeRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.contacts = ContactRepository(self)
        self.orders = OrderCopyRepository(self)
        self.deliveries = DeliveryRepository(self)
        self.inquiries = InquiryRepository(self)
        self.notices = NoticeRepository(self)
        return self

    def _sync(self) -> None:
        for repository in (self.deliveries, self.inquiries, self.notices):
            repository.sync()

    async def flush(self) -> None:
        self._sync()
        await super().flush()

    async def commit(self) -> None:
        self._sync()
        await super().commit()


def new_uow(runtime: Runtime) -> NotificationUnitOfWork:
    """A unit of work of this service (its runtime is built with this class)."""
    uow = runtime.uow()
    assert isinstance(uow, NotificationUnitOfWork)
    return uow
