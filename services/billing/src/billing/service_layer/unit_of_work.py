"""The billing unit of work: the platform's, with billing's repositories bound to it."""

from __future__ import annotations

from typing import Self

from billing.adapters.account_repository import AccountRepository
from billing.adapters.billing_run_repository import BillingRunRepository
from billing.adapters.collection_repository import CollectionRepository
from billing.adapters.invoice_repository import InvoiceRepository
from billing.adapters.statement_repository import StatementRepository
from billing.adapters.subscription_repository import SubscriptionRepository
from servicekit.uow import UnitOfWork


class BillingUnitOfWork(UnitOfWork):
    """A transaction with ``accounts``, ``subscriptions``, ``invoices``, ``runs`` and
    ``statements``."""

    accounts: AccountRepository
    subscriptions: SubscriptionRepository
    invoices: InvoiceRepository
    runs: BillingRunRepository
    collections: CollectionRepository
    statements: StatementRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.accounts = AccountRepository(self)
        self.subscriptions = SubscriptionRepository(self)
        self.invoices = InvoiceRepository(self)
        self.runs = BillingRunRepository(self)
        self.collections = CollectionRepository(self)
        self.statements = StatementRepository(self)
        return self
