"""The billing unit of work: the platform's, with billing's repositories bound to it."""

from __future__ import annotations

from typing import Self, TypeVar

from billing.adapters.account_repository import AccountRepository
from billing.adapters.billing_run_repository import BillingRunRepository
from billing.adapters.invoice_repository import InvoiceRepository
from billing.adapters.subscription_repository import SubscriptionRepository
from servicekit.aggregate import Aggregate
from servicekit.uow import UnitOfWork

A = TypeVar("A", bound=Aggregate)


class BillingUnitOfWork(UnitOfWork):
    """A transaction with ``accounts``, ``subscriptions``, ``invoices`` and ``runs``."""

    accounts: AccountRepository
    subscriptions: SubscriptionRepository
    invoices: InvoiceRepository
    runs: BillingRunRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.accounts = AccountRepository(self)
        self.subscriptions = SubscriptionRepository(self)
        self.invoices = InvoiceRepository(self)
        self.runs = BillingRunRepository(self)
        return self

    def _reset(self) -> None:
        super()._reset()
        self._tracked_ids: set[int] = set()

    def track(self, aggregate: A) -> A:
        """Collect ``aggregate``'s recorded events at commit; returns it.

        A billing run tracks hundreds of new invoices per transaction: a set of the
        tracked ones keeps each call O(1) (the tracked list keeps their ids unique).
        """
        if id(aggregate) not in self._tracked_ids:
            self._tracked_ids.add(id(aggregate))
            self._tracked.append(aggregate)
        return aggregate
