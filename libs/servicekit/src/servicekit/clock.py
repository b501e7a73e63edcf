"""The one clock of a service process, pinnable so tests can fix the time.

Every service reads the current time from ``runtime.clock`` (the API's routes,
its jobs, its consumers and the outbox alike), so a test that pins it moves the
13:00 cut-off, a run day or a 30-day deadline for everything at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def system_clock() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Clock:
    """Tells the time: the system's, or an instant a test pinned.

    Calling the clock returns the current moment in UTC (``clock()``), so it can
    be passed wherever a ``Callable[[], datetime]`` is expected.
    """

    __slots__ = ("_pinned",)

    def __init__(self, pinned: datetime | None = None) -> None:
        self._pinned: datetime | None = None
        if pinned is not None:
            self.pin(pinned)

    def __call__(self) -> datetime:
        return self._pinned if self._pinned is not None else datetime.now(UTC)

    def now(self) -> datetime:
        """The current moment, UTC."""
        return self()

    def today_in_japan(self) -> date:
        """Today's Japan date (business dates are Japan dates)."""
        return japan_today(self())

    def pin(self, instant: datetime) -> None:
        """Make the clock answer ``instant`` from now on (timezone-aware; naive is refused)."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("pin the clock with a timezone-aware datetime")
        # Timestamps are stored and sent in UTC whatever zone the test thinks in.
        self._pinned = instant.astimezone(UTC)

    def unpin(self) -> None:
        """Back to the system time."""
        self._pinned = None

    @property
    def pinned(self) -> bool:
        """Whether a test fixed the time."""
        return self._pinned is not None


def japan_today(now: datetime) -> date:
    """The Japan date of ``now`` (business dates are Japan dates)."""
    return now.astimezone(JAPAN).date()
