"""What ordering knows of a member from identity's events (R11, R12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A member's copy: entity type (R12) and whether they withdrew (R11)."""

    member_id: uuid.UUID
    entity_type: str
    withdrawn: bool = False
