"""A service's clock, replaceable so tests can pin the time (the 13:00 cut-off, a run day).

The clock lives in ``runtime.extras["clock"]``; when none is set it is the
system clock. A test pins it with :func:`pin_clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from servicekit.runtime import Runtime

Clock = Callable[[], datetime]

JAPAN = ZoneInfo("Asia/Tokyo")
_KEY = "clock"


def system_clock() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def clock_of(runtime: Runtime) -> Clock:
    """The clock the service reads its time from."""
    clock: Clock = runtime.extras.get(_KEY, system_clock)
    return clock


def pin_clock(runtime: Runtime, instant: datetime) -> None:
    """Make the service believe it is always ``instant`` (timezone-aware; naive is refused)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("pin the clock with a timezone-aware datetime")
    # Timestamps are stored and sent in UTC whatever zone the test thinks in.
    utc = instant.astimezone(UTC)
    runtime.extras[_KEY] = lambda: utc


def japan_today(now: datetime) -> date:
    """The Japan date of ``now`` (business dates are Japan dates)."""
    return now.astimezone(JAPAN).date()
