"""The ordering unit of work: the platform's transaction, with ordering's repositories."""

from __future__ import annotations

from typing import Self

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
    already issued.
    """

    orders: OrderRepository
    contracts: ContractRepository
    catalog: CatalogCopy
    members: MemberCopies
    request_keys: RequestKeys
    notices: ActivationNotices

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.orders = OrderRepository(self)
        self.contracts = ContractRepository(self)
        self.catalog = CatalogCopy(self)
        self.members = MemberCopies(self)
        self.request_keys = RequestKeys(self)
        self.notices = ActivationNotices(self)
        return self


def new_uow(runtime: Runtime) -> OrderingUnitOfWork:
    """A new unit of work of ``runtime`` (bootstrap makes it build ordering's)."""
    uow = runtime.uow()
    assert isinstance(uow, OrderingUnitOfWork)
    return uow
