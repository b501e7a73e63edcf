"""The identity worker's periodic jobs (bootstrap declares them)."""

from __future__ import annotations

from collections.abc import Sequence

from identity.adapters.document_store import DocumentStore
from identity.adapters.ordering_client import OrderingClient
from identity.config import Settings
from identity.service_layer.documents import purge_reviewed_files, purge_unreviewed_files
from identity.service_layer.unit_of_work import identity_uow
from identity.service_layer.withdrawal import recheck_waiting
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """Deletes document files 90 days after review (R12) and those still unreviewed 30
    days after upload (issue 19 item 9); re-asks ordering about withdrawal requests it
    could not check (R11)."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    store = DocumentStore.of(settings)
    ordering = OrderingClient.of(settings)

    async def purge() -> int:
        return await purge_reviewed_files(
            uow=identity_uow(runtime), store=store, retention_days=settings.document_retention_days
        )

    async def purge_unreviewed() -> int:
        return await purge_unreviewed_files(
            uow=identity_uow(runtime),
            store=store,
            retention_days=settings.document_unreviewed_retention_days,
        )

    async def recheck() -> int:
        return await recheck_waiting(uow=identity_uow(runtime), ordering=ordering)

    return [
        PeriodicJob("identity.purge_reviewed_documents", 3600, purge),
        PeriodicJob("identity.purge_unreviewed_documents", 3600, purge_unreviewed),
        PeriodicJob("identity.recheck_withdrawals", settings.withdrawal_recheck_seconds, recheck),
    ]
