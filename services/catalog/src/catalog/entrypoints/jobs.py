"""The catalog worker's scheduled jobs: none.

Nothing in the catalog happens by the clock: every version is made by an ops
command, and the order calendar (R17) is computed when it is asked for. The
worker only relays the outbox. A periodic job would be declared here.
"""

from __future__ import annotations

from collections.abc import Sequence

from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """Every periodic job of the catalog worker (none)."""
    return ()
