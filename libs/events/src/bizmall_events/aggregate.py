"""Events that report the state of one aggregate, and carry its version (SPEC §1)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from bizmall_events.base import IntegrationEvent
from bizmall_events.values import Version


class AggregateEvent(IntegrationEvent):
    """An event about one aggregate (a member, an order, an invoice, …).

    ``aggregate_version`` is the aggregate's version after the change; a
    consumer keeping a local copy ignores an event whose version is not newer
    than the copy it holds. ``AGGREGATE_ID_FIELD`` names the field holding the
    aggregate's id, so generic code can key copies without knowing each event.
    """

    AGGREGATE_ID_FIELD: ClassVar[str] = ""

    aggregate_version: Version

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.TYPE and cls.AGGREGATE_ID_FIELD not in cls.model_fields:
            raise TypeError(
                f"{cls.__name__}.AGGREGATE_ID_FIELD must name one of its fields, "
                f"got {cls.AGGREGATE_ID_FIELD!r}"
            )

    @property
    def aggregate_id(self) -> uuid.UUID:
        """The id of the aggregate this event is about."""
        value: uuid.UUID = getattr(self, self.AGGREGATE_ID_FIELD)
        return value

    def is_newer_than(self, held_version: int | None) -> bool:
        """True when this event should replace a local copy at ``held_version``
        (None: no copy held yet)."""
        return held_version is None or self.aggregate_version > held_version
