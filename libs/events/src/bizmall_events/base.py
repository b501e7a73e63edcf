"""The envelope every integration event travels in, and the base of every contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

#: Registry of every contract by its type name, filled as the modules are imported.
EVENT_TYPES: dict[str, type[IntegrationEvent]] = {}


class IntegrationEvent(BaseModel):
    """Base of every event contract.

    A contract names its ``TYPE`` (the routing key, e.g. ``ordering.order.placed``),
    its schema version, and which of its fields hold secrets. Secret fields carry
    ciphertext sealed for the consumer (``servicekit.crypto``); they are redacted
    in logs and dead-letter views.
    """

    TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset()
    #: Whether some service consumes this event (SPEC §5). The outbox relay keeps an
    #: event of a consumed type until a queue is bound for it (a consumer not started
    #: yet must not lose it); an event nobody consumes is published for the record.
    CONSUMED: ClassVar[bool] = True

    model_config = ConfigDict(frozen=True, extra="ignore")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TYPE:
            if cls.TYPE in EVENT_TYPES and EVENT_TYPES[cls.TYPE] is not cls:
                raise TypeError(f"event type {cls.TYPE} defined twice")
            EVENT_TYPES[cls.TYPE] = cls


class Envelope(BaseModel):
    """What goes on the wire: metadata plus the event's data."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: IntegrationEvent, *, producer: str, correlation_id: str) -> Envelope:
        """Put ``event`` into a new envelope."""
        return cls(
            type=event.TYPE,
            version=event.SCHEMA_VERSION,
            producer=producer,
            correlation_id=correlation_id,
            data=event.model_dump(mode="json"),
        )

    def secret_fields(self) -> frozenset[str]:
        """Names of the secret fields of this envelope's event type (empty when unknown)."""
        contract = EVENT_TYPES.get(self.type)
        return contract.SECRET_FIELDS if contract else frozenset()

    def redacted(self) -> dict[str, Any]:
        """The envelope as JSON-ready data with secret fields replaced."""
        body = self.model_dump(mode="json")
        for name in self.secret_fields():
            if name in body["data"]:
                body["data"][name] = "[REDACTED]"
        return body
