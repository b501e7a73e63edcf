"""Inquiries (R26): open → answered (any number of answers) → closed."""

from __future__ import annotations

from typing import Literal

InquiryStatus = Literal["open", "answered", "closed"]


class InquiryClosed(Exception):
    """A closed inquiry takes no more answers and cannot be closed again."""


def status_after_answer(status: str) -> InquiryStatus:
    """The status once ops answered; a closed inquiry refuses answers."""
    if status == "closed":
        raise InquiryClosed
    return "answered"


def status_after_close(status: str) -> InquiryStatus:
    """The status once ops closed it; closing twice is refused."""
    if status == "closed":
        raise InquiryClosed
    return "closed"
