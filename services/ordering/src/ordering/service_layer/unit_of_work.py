"""The ordering unit of work: the platform's transaction, with ordering's repositories."""

from __future__ import annotations

from typing import Self

from ordering.adapters.held_copies import HeldCopies, held_copies
from ordering.adapters.repository import (
    ActivationNotices,
    CatalogCopy,
    ContractRepository,
    MemberCopies,
    OrderRepository,
    RequestKeys,
)
from servicekit.runtime import Runtime
from servicekit.uow import UnitOfWork


class OrderingUnitOfWork(UnitOfWork):
    """A transaction with every ordering repository bound to it.

    ``orders`` and ``contracts`` hold the aggregates; ``catalog`` and ``members``
    the local copies of catalog's services and identity's members; ``request_keys``
    the Idempotency-Keys of ``POST /orders``; ``notices`` the activation notices
    already issued. ``held`` is what this process last read of the local copies,
    shared by every unit of work on the same database
    (:mod:`ordering.adapters.held_copies`).
    """

    orders: OrderRepository
    contracts: ContractRepository
    catalog: CatalogCopy
    members: MemberCopies
    request_keys: RequestKeys
    notices: ActivationNotices
    held: HeldCopies

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.held = held_copies(self._sessions)
        self.orders = OrderRepository(self)
        self.contracts = ContractRepository(self)
        self.catalog = CatalogCopy(self, held=self.held)
        self.members = MemberCopies(self, held=self.held)
        self.request_keys = RequestKeys(self)
        self.notices = ActivationNotices(self)
        return self


def new_uow(runtime: Runtime) -> OrderingUnitOfWork:
    """A new unit of work of ``runtime`` (bootstrap makes it build ordering's)."""
    uow = runtime.uow()
    assert isinstance(uow, OrderingUnitOfWork)
    return uow
