"""Inquiries (R26): open → answered (any number of answers) → closed.

An inquiry is a thread: ops answer, the member replies to the answer (the inquiry is
open again, awaiting ops), ops answer again, until ops close it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bizmall_events import InquiryAnswered
from servicekit.aggregate import Aggregate
from servicekit.errors import Conflict, NotFound

InquiryStatus = Literal["open", "answered", "closed"]

#: Who wrote a message of the thread.
Author = Literal["ops", "member"]


class InquiryNotFound(NotFound):
    """No such inquiry (or not the caller's: the same answer, R15's rule)."""

    def __init__(self) -> None:
        super().__init__(
            "inquiry.not_found", ja="お問い合わせが見つかりません。", en="No such inquiry."
        )


class InquiryClosed(Conflict):
    """A closed inquiry takes no more answers and cannot be closed again."""

    def __init__(self) -> None:
        super().__init__(
            "inquiry.closed",
            ja="このお問い合わせは終了しています。",
            en="This inquiry is closed.",
        )


def status_after_answer(status: str) -> InquiryStatus:
    """The status once ops answered; a closed inquiry refuses answers."""
    if status == "closed":
        raise InquiryClosed
    return "answered"


def status_after_reply(status: str) -> InquiryStatus:
    """The status once the member replied: open again (awaiting ops); a closed inquiry
    takes no reply."""
    if status == "closed":
        raise InquiryClosed
    return "open"


def status_after_close(status: str) -> InquiryStatus:
    """The status once ops closed it; closing twice is refused."""
    if status == "closed":
        raise InquiryClosed
    return "closed"


@dataclass(frozen=True)
class Answer:
    """One message of the thread: an answer of ops (emailed to the member and shown in My
    Page, R26) or the member's reply (``author="member"``; ``answered_by`` is then the
    member's id)."""

    id: uuid.UUID
    body: str
    answered_by: str
    answered_at: datetime
    author: Author = "ops"


@dataclass
class Inquiry(Aggregate):
    """A member's inquiry with its answers; ``order_id`` binds it to an order (R19)."""

    id: uuid.UUID
    member_id: uuid.UUID
    category: str
    subject: str
    body: str
    order_id: uuid.UUID | None
    status: str
    version: int
    created_at: datetime
    closed_at: datetime | None = None
    #: The thread after the question: answers of ops and replies of the member, oldest first.
    answers: list[Answer] = field(default_factory=list)

    @property
    def ops_answers(self) -> list[Answer]:
        """Only the answers of ops."""
        return [a for a in self.answers if a.author == "ops"]

    @classmethod
    def submit(
        cls,
        *,
        member_id: uuid.UUID,
        category: str,
        subject: str,
        body: str,
        order_id: uuid.UUID | None,
        at: datetime,
    ) -> Inquiry:
        """A member's new inquiry (open)."""
        return cls(
            id=uuid.uuid4(),
            member_id=member_id,
            category=category,
            subject=subject,
            body=body,
            order_id=order_id,
            status="open",
            version=1,
            created_at=at,
        )

    def belongs_to(self, member_id: uuid.UUID) -> bool:
        """Whether ``member_id`` asked it (members only ever see their own)."""
        return self.member_id == member_id

    def answer(self, *, body: str, actor: str, at: datetime) -> Answer:
        """Ops answer (R26); records ``InquiryAnswered`` (the member is emailed)."""
        self.status = status_after_answer(self.status)
        self.version += 1
        answer = Answer(id=uuid.uuid4(), body=body, answered_by=actor, answered_at=at)
        self.answers.append(answer)
        self.record(
            InquiryAnswered(
                inquiry_id=self.id,
                member_id=self.member_id,
                category=self.category,
                order_id=self.order_id,
                aggregate_version=self.version,
            )
        )
        return answer

    def reply(self, *, member_id: uuid.UUID, body: str, at: datetime) -> Answer:
        """The member replies in the thread (R26): the inquiry is open again for ops."""
        if not self.belongs_to(member_id):
            raise InquiryNotFound
        self.status = status_after_reply(self.status)
        self.version += 1
        reply = Answer(
            id=uuid.uuid4(), body=body, answered_by=str(member_id), answered_at=at, author="member"
        )
        self.answers.append(reply)
        return reply

    def close(self, *, at: datetime) -> None:
        """Ops close it; closing twice is refused."""
        self.status = status_after_close(self.status)
        self.version += 1
        self.closed_at = at
