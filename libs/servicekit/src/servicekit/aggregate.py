"""Aggregates that record the events their transitions cause.

A domain aggregate inherits :class:`Aggregate` and calls :meth:`Aggregate.record`
inside each transition method. The unit of work that loaded or added the
aggregate (``uow.track``) collects the recorded events at commit and writes them
to the outbox in the same transaction as the change: no handler rebuilds an
event after the fact from the aggregate's state.

This module is pure (no I/O, no ORM): domain packages may import it.
"""

from __future__ import annotations

from bizmall_events import IntegrationEvent

_EVENTS = "_recorded_events"


class Aggregate:
    """Mix-in for aggregates (plain classes and dataclasses, frozen or not)."""

    def record(self, event: IntegrationEvent) -> None:
        """Remember ``event`` until the unit of work collects it."""
        recorded: list[IntegrationEvent] | None = self.__dict__.get(_EVENTS)
        if recorded is None:
            recorded = []
            # object.__setattr__ works for frozen dataclasses too.
            object.__setattr__(self, _EVENTS, recorded)
        recorded.append(event)

    @property
    def recorded_events(self) -> tuple[IntegrationEvent, ...]:
        """The events recorded and not yet collected."""
        return tuple(self.__dict__.get(_EVENTS) or ())

    def collect_events(self) -> list[IntegrationEvent]:
        """Hand over (and forget) the recorded events, oldest first."""
        recorded: list[IntegrationEvent] | None = self.__dict__.get(_EVENTS)
        if not recorded:
            return []
        events = list(recorded)
        recorded.clear()
        return events
