"""How the ops lists name a member (R30): organization and person, from billing's copy
of identity's profile (``billing_account``, kept by ``member.verified`` and
``member.updated``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MemberName:
    """A member's organization (the person's own name for a sole proprietor) and name."""

    organization_name: str
    name: str
