"""The catalog's unit of work: the platform's, plus the service repository."""

from __future__ import annotations

from typing import Self

from catalog.adapters.repository import ServiceRepository
from servicekit.runtime import Runtime
from servicekit.uow import UnitOfWork


class CatalogUnitOfWork(UnitOfWork):
    """A transaction with ``services`` bound to it."""

    services: ServiceRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.services = ServiceRepository(self)
        return self


def catalog_uow(runtime: Runtime) -> CatalogUnitOfWork:
    """A new unit of work of the catalog process ``runtime`` (built with ``CatalogUnitOfWork``)."""
    uow = runtime.uow()
    assert isinstance(uow, CatalogUnitOfWork)
    return uow
