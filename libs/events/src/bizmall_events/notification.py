"""Events published by notification: inquiries (R26)."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from bizmall_events.aggregate import AggregateEvent

#: What an inquiry is about (SPEC §2).
InquiryCategory = Literal["general", "order", "activation", "cancellation", "billing"]


class InquiryAnswered(AggregateEvent):
    """Ops answered a member's inquiry (R26). notification → no consumer yet:
    notification emails the answer itself; the event is there for others to follow."""

    TYPE: ClassVar[str] = "notification.inquiry.answered"
    AGGREGATE_ID_FIELD: ClassVar[str] = "inquiry_id"
    CONSUMED: ClassVar[bool] = False

    inquiry_id: uuid.UUID
    member_id: uuid.UUID
    category: InquiryCategory
    order_id: uuid.UUID | None = None
