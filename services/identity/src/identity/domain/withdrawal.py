"""Withdrawal requests (R11): checked at once with ordering, confirmed or refused
with a reason by ops (R33).

A request ordering could not check stays ``checking``; nothing is approved
without ordering's answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bizmall_events.identity import BlockingItem, WithdrawalDecided
from identity.domain.errors import FieldsInvalid, WithdrawalBlocked, WithdrawalNotPending
from identity.domain.member import Member
from servicekit.aggregate import Aggregate

CHECKING, PENDING, REFUSED, WITHDRAWN = "checking", "pending", "refused", "withdrawn"
OPEN_STATES = (CHECKING, PENDING)
_STAGES = {CHECKING: "checking_orders", PENDING: "awaiting_confirmation"}


@dataclass(eq=False)
class WithdrawalRequest(Aggregate):
    """``checking`` until ordering answered, then ``refused`` (naming what blocks it),
    ``pending`` (awaiting ops) or, once ops decided, ``withdrawn`` or ``refused`` with
    ops' ``reason``."""

    member_id: uuid.UUID
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    status: str = CHECKING
    blocking_items: tuple[BlockingItem, ...] = ()
    reason: str | None = None
    version: int = 1
    requested_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None

    @classmethod
    def open(cls, member_id: uuid.UUID, *, now: datetime) -> WithdrawalRequest:
        return cls(member_id=member_id, requested_at=now)

    @property
    def public_status(self) -> str:
        """SPEC §2's status: ``pending`` while checking or awaiting ops."""
        return PENDING if self.status in OPEN_STATES else self.status

    @property
    def stage(self) -> str | None:
        """Which wait a pending request is in: ordering's check or ops' confirmation."""
        return _STAGES.get(self.status)

    def checked(self, blocking_items: Sequence[BlockingItem], *, now: datetime) -> None:
        """Ordering answered: refused at once when something blocks, else awaiting ops."""
        if self.status != CHECKING:
            raise WithdrawalNotPending()
        if blocking_items:
            self._refuse(blocking_items, now=now)
        else:
            self.status = PENDING

    def check_awaiting_confirmation(self) -> None:
        if self.status != PENDING:
            raise WithdrawalNotPending()

    def confirm(
        self, member: Member, blocking_items: Sequence[BlockingItem], *, actor: str, now: datetime
    ) -> None:
        """Ops confirm with ordering's fresh answer: the member is withdrawn, unless
        something blocks it now (``WithdrawalBlocked``: the request stays pending, and
        ops end the blockers first or refuse it with a reason, R33)."""
        self.check_awaiting_confirmation()
        if blocking_items:
            raise WithdrawalBlocked([item.model_dump(mode="json") for item in blocking_items])
        if member.id != self.member_id:
            raise ValueError("the member withdrawn is the one who asked")
        member.withdraw()
        self.status = WITHDRAWN
        self.decided_at = now
        self.decided_by = actor
        self.version += 1
        self.record(
            WithdrawalDecided(
                withdrawal_id=self.id,
                member_id=self.member_id,
                decision="withdrawn",
                aggregate_version=self.version,
            )
        )

    def refuse(self, reason: str, *, actor: str, now: datetime) -> None:
        """Ops refuse an open request with the reason the member reads in the email (R33)."""
        if self.status not in OPEN_STATES:
            raise WithdrawalNotPending()
        if not reason.strip():
            raise FieldsInvalid([("reason", "a refusal gives the reason the member is sent")])
        self.reason = reason.strip()
        self.decided_by = actor
        self._refuse((), now=now)

    def _refuse(self, blocking_items: Sequence[BlockingItem], *, now: datetime) -> None:
        self.status = REFUSED
        self.blocking_items = tuple(blocking_items)
        self.decided_at = now
        self.version += 1
        self.record(
            WithdrawalDecided(
                withdrawal_id=self.id,
                member_id=self.member_id,
                decision="refused",
                blocking_items=self.blocking_items,
                reason=self.reason,
                aggregate_version=self.version,
            )
        )
