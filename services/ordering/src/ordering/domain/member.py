"""What ordering knows of a member from identity's events (R11, R12, R30)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A member's copy: entity type (R12), whether they withdrew (R11), and the names ops
    lists show (R30; None in a copy kept before identity's events carried them here)."""

    member_id: uuid.UUID
    entity_type: str
    withdrawn: bool = False
    name: str | None = None
    organization_name: str | None = None
