"""Notification's copy of each member's contact (R16): where and in which language to write.

Identity's member events keep it current; an event no newer than the copy is
ignored, so a late event never brings back an old address (R9).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MemberContact:
    """The member's contact as of identity's ``version`` of the member."""

    member_id: uuid.UUID
    email: str
    language: str
    name: str
    status: str
    version: int
    updated_at: datetime
    #: None until identity's event with the whole profile brought it (R30: ops lists).
    organization_name: str | None = None

    @property
    def withdrawn(self) -> bool:
        """Whether the member withdrew (R11): they can no longer log in, so an email must
        carry what a link behind the login would show (R41)."""
        return self.status == "withdrawn"

    def supersedes(self, stored: MemberContact | None) -> bool:
        """Whether this copy replaces ``stored`` (only a newer version does)."""
        return stored is None or stored.version < self.version
