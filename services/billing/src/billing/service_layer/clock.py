"""The billing service's clock, replaceable so tests can pin the day a run happens.

The clock lives in ``runtime.extras["clock"]``; when none is set it is the
system clock. Business dates (issue, due, transfer dates) are Japan dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from jpcalendar import to_jst
from servicekit.runtime import Runtime

Clock = Callable[[], datetime]

_KEY = "clock"


def system_clock() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def clock_of(runtime: Runtime) -> Clock:
    """The clock the service reads its time from."""
    clock: Clock = runtime.extras.get(_KEY, system_clock)
    return clock


def pin_clock(runtime: Runtime, instant: datetime) -> None:
    """Make the service believe it is always ``instant`` (timezone-aware)."""
    utc = to_jst(instant).astimezone(UTC)
    runtime.extras[_KEY] = lambda: utc


def japan_today(now: datetime) -> date:
    """The Japan date of ``now``."""
    return to_jst(now).date()
