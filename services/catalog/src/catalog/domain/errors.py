"""What the catalog's rules say when they refuse.

Refusals that are a status, a code and a sentence are servicekit error kinds,
answered as problem details by every service app. The two refusals of bad terms
(:class:`InvalidServiceTerms`, and ``order_fields.InvalidOrderFields``) carry
field-level detail that ``catalog.api.errors`` renders.
"""

from __future__ import annotations

import uuid

from servicekit.errors import Conflict, NotFound


class ServiceRuleViolation(Conflict):
    """A change the service's current state does not allow (409)."""


class ServiceNotFound(NotFound):
    """No service has this id, or none the caller may see (404)."""

    def __init__(self, service_id: uuid.UUID | str) -> None:
        super().__init__(
            "catalog.service_not_found",
            ja="指定されたサービスは見つかりません。",
            en=f"No such service: {service_id}.",
        )


class VersionNotFound(NotFound):
    """No such version of the service, or none the caller may see (404)."""

    def __init__(self) -> None:
        super().__init__(
            "catalog.version_not_found",
            ja="指定されたサービスのバージョンは見つかりません。",
            en="No such service version.",
        )


class InvalidServiceTerms(ValueError):
    """Terms that do not hold together (e.g. a maximum quantity below the order unit).

    When pydantic refused them, its ``ValidationError`` is the cause: the answer
    names each field.
    """
