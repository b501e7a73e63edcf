"""The fake unit of work every service-layer unit test starts from (no database)."""

from __future__ import annotations

import pytest

from services.ordering.tests.unit.fakes import NOW, FakeOrderingUnitOfWork


@pytest.fixture
def uow() -> FakeOrderingUnitOfWork:
    """An empty ordering unit of work whose clock is pinned at :data:`NOW`."""
    return FakeOrderingUnitOfWork(now=NOW)
