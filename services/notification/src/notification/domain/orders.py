"""Notification's copy of which member placed which order, from ordering's order events:
an inquiry bound to an order must be about one of the asker's own orders (R19, R26)."""

from __future__ import annotations

import uuid

from servicekit.errors import NotFound


class InquiryOrderNotFound(NotFound):
    """The ``order_id`` of a new inquiry is not one of the member's orders (another
    member's is answered the same way as a made-up one: R15's rule)."""

    def __init__(self) -> None:
        super().__init__(
            "inquiry.order_not_found",
            ja="指定されたご注文が見つかりません。",
            en="No such order among your orders.",
        )


def check_order_owner(*, member_id: uuid.UUID, owner: uuid.UUID | None) -> None:
    """Refuse an order the member did not place (or notification has never heard of)."""
    if owner is None or owner != member_id:
        raise InquiryOrderNotFound
