"""The composition root of the identity service: what it runs and what it consumes."""

from collections.abc import Sequence

from identity.config import Settings
from identity.entrypoints.subscriptions import subscriptions
from identity.service_layer.context import IdentityContext
from identity.service_layer.documents import purge_reviewed_files
from identity.service_layer.operators import create_ops_command, seed
from identity.service_layer.withdrawal import recheck_waiting
from servicekit.cli import ServiceDefinition
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """Deletes document files 90 days after review (R12); re-asks ordering about
    withdrawal requests it could not check (R11)."""

    async def purge() -> int:
        return await purge_reviewed_files(IdentityContext.of(runtime))

    async def recheck() -> int:
        return await recheck_waiting(IdentityContext.of(runtime))

    return [
        PeriodicJob("identity.purge_reviewed_documents", 3600, purge),
        PeriodicJob(
            "identity.recheck_withdrawals",
            IdentityContext.of(runtime).settings.withdrawal_recheck_seconds,
            recheck,
        ),
    ]


SERVICE = ServiceDefinition(
    name="identity",
    settings_class=Settings,
    app_factory="identity.entrypoints.app:create_app",
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
    commands={"create-ops": create_ops_command},
)
