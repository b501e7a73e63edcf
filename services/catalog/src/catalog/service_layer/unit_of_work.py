"""The catalog's unit of work: the platform's, plus the service repository."""

from __future__ import annotations

from typing import Self

from catalog.adapters.repository import ServiceRepository
from servicekit.uow import UnitOfWork


class CatalogUnitOfWork(UnitOfWork):
    """A transaction with ``services`` bound to its session."""

    services: ServiceRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.services = ServiceRepository(self.session)
        return self
