"""Reading and writing notification's aggregates: one repository per aggregate.

A repository turns rows into the domain's aggregates and keeps the row of each
aggregate it loaded or added; the unit of work writes the aggregates' state back
to those rows (``sync``) just before it flushes or commits, so handlers only ever
change aggregates.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import SQLModel, col

from notification.adapters.tables import (
    DeliveryAttachmentRow,
    DeliveryRow,
    InquiryAnswerRow,
    InquiryRow,
    MemberContactRow,
    MemberOrderRow,
    NoticeRow,
)
from notification.domain.contacts import MemberContact
from notification.domain.delivery import Attachment, Delivery
from notification.domain.inquiries import Answer, Inquiry
from notification.domain.notices import MAINTENANCE_CATEGORIES, Notice, NoticeDraft
from servicekit.aggregate import Aggregate
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository
from servicekit.uow import UnitOfWork

#: Committing a delivery NOTIFYs this channel, so the sender wakes at once.
DELIVERY_CHANNEL = "notification_delivery"

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R", bound=SQLModel)


def _newest_first_key(row: DeliveryRow | InquiryRow) -> tuple[datetime, uuid.UUID]:
    # asyncpg hands out its own UUID subclass, which the cursor encoder does not know.
    return row.created_at, uuid.UUID(int=row.id.int)


class _RowBacked(SqlRepository, Generic[A, R]):
    """Keeps each aggregate beside its row; :meth:`sync` copies the state back."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._rows: dict[int, tuple[A, R]] = {}

    def _keep(self, aggregate: A, row: R) -> A:
        self._rows[id(aggregate)] = (aggregate, row)
        return self.track(aggregate)

    def sync(self) -> None:
        """Write every kept aggregate's state to its row (flushed with the transaction)."""
        for aggregate, row in self._rows.values():
            self._write(aggregate, row)

    def _write(self, aggregate: A, row: R) -> None:
        """Copy ``aggregate``'s state onto ``row`` (each repository maps its own)."""
        raise NotImplementedError(f"{type(self).__name__} maps no aggregate to its row")


# --- member contacts ------------------------------------------------------------------


def _contact(row: MemberContactRow) -> MemberContact:
    return MemberContact(
        member_id=row.member_id,
        email=row.email,
        language=row.language,
        name=row.name,
        status=row.status,
        version=row.aggregate_version,
        updated_at=row.updated_at,
        organization_name=row.organization_name,
    )


class ContactRepository(SqlRepository):
    """Notification's copy of each member's contact (R16)."""

    async def get(self, member_id: uuid.UUID) -> MemberContact | None:
        """The member's contact, None until identity's events brought it."""
        row = await self.session.get(MemberContactRow, member_id)
        return _contact(row) if row is not None else None

    async def save_if_newer(self, contact: MemberContact) -> bool:
        """Store ``contact`` unless the copy is already as new (one statement, so two
        events of one member never interleave); returns whether it was stored."""
        values = {
            "member_id": contact.member_id,
            "email": contact.email,
            "language": contact.language,
            "name": contact.name,
            "status": contact.status,
            "aggregate_version": contact.version,
            "updated_at": contact.updated_at,
            "organization_name": contact.organization_name,
        }
        insert_row = insert(MemberContactRow).values(**values)
        updates: dict[str, Any] = {k: insert_row.excluded[k] for k in values if k != "member_id"}
        # A re-sent verification link carries no organization: it never erases a known one.
        updates["organization_name"] = func.coalesce(
            insert_row.excluded.organization_name, col(MemberContactRow.organization_name)
        )
        statement = insert_row.on_conflict_do_update(
            index_elements=["member_id"],
            set_=updates,
            where=col(MemberContactRow.aggregate_version) < insert_row.excluded.aggregate_version,
        ).returning(col(MemberContactRow.member_id))
        return (await self.session.execute(statement)).first() is not None

    async def of_members(self, member_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, MemberContact]:
        """The copies of ``member_ids`` that exist (ops lists name the members, R30)."""
        if not member_ids:
            return {}
        rows = await self.session.execute(
            select(MemberContactRow).where(col(MemberContactRow.member_id).in_(member_ids))
        )
        return {row.member_id: _contact(row) for row in rows.scalars()}

    async def mark_withdrawn(self, member_id: uuid.UUID) -> None:
        """The member withdrew (identity's withdrawal decision): from now on their emails
        carry what a link behind the login would show (R41)."""
        row = await self.session.get(MemberContactRow, member_id, with_for_update=True)
        if row is not None:
            row.status = "withdrawn"


# --- orders ---------------------------------------------------------------------------


class OrderCopyRepository(SqlRepository):
    """Who placed each order, as ordering's order events told (R19, R26)."""

    async def remember(self, *, order_id: uuid.UUID, member_id: uuid.UUID, at: datetime) -> None:
        """Keep ``order_id`` as ``member_id``'s (every order event carries both; the first
        one kept stays)."""
        await self.session.execute(
            insert(MemberOrderRow)
            .values(order_id=order_id, member_id=member_id, recorded_at=at)
            .on_conflict_do_nothing(index_elements=["order_id"])
        )

    async def owner_of(self, order_id: uuid.UUID) -> uuid.UUID | None:
        """The member who placed ``order_id``; None for an order never heard of."""
        row = await self.session.get(MemberOrderRow, order_id)
        return row.member_id if row is not None else None


# --- deliveries -----------------------------------------------------------------------


def _delivery(row: DeliveryRow, attachments: Sequence[Attachment] = ()) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        template=row.template,
        member_id=row.member_id,
        recipient=row.recipient,
        language=row.language,
        payload=row.payload,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        attachments=tuple(attachments),
    )


class DeliveryRepository(_RowBacked[Delivery, DeliveryRow]):
    """The emails to send (R27), one per (event, template)."""

    async def add(self, delivery: Delivery) -> bool:
        """Record a new delivery; False when its (event, template) already was."""
        statement = (
            insert(DeliveryRow)
            .values(
                id=delivery.id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                template=delivery.template,
                member_id=delivery.member_id,
                recipient=delivery.recipient,
                language=delivery.language,
                payload=delivery.payload,
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                created_at=delivery.created_at,
                has_attachments=bool(delivery.attachments),
            )
            .on_conflict_do_nothing(constraint="uq_delivery_event_id")
            .returning(col(DeliveryRow.id))
        )
        created = (await self.session.execute(statement)).first() is not None
        if created:
            for attachment in delivery.attachments:
                self.session.add(
                    DeliveryAttachmentRow(
                        delivery_id=delivery.id,
                        filename=attachment.filename,
                        content_type=attachment.content_type,
                        content=attachment.content,
                    )
                )
            self.track(delivery)
            await self.wake_sender()
        return created

    async def wake_sender(self) -> None:
        """Wake the sender when this transaction commits (it never wakes for a row it
        cannot see yet)."""
        await self.session.execute(text(f"NOTIFY {DELIVERY_CHANNEL}"))

    async def get(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
        """One delivery (locked for a change when ``for_update``)."""
        row = await self.session.get(DeliveryRow, delivery_id, with_for_update=for_update)
        return self._keep(_delivery(row), row) if row is not None else None

    async def claim_due(self, *, now: datetime, limit: int) -> list[Delivery]:
        """Up to ``limit`` pending deliveries due at ``now``, locked until the transaction
        ends; rows another sender holds are skipped, not waited for."""
        rows = (
            await self.session.execute(
                select(DeliveryRow)
                .where(col(DeliveryRow.state) == "pending")
                .where(col(DeliveryRow.next_attempt_at) <= now)
                .order_by(col(DeliveryRow.next_attempt_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        claimed = list(rows)
        files = await self._attachments_of([r.id for r in claimed if r.has_attachments])
        return [self._keep(_delivery(row, files.get(row.id, ())), row) for row in claimed]

    async def _attachments_of(
        self, delivery_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Attachment]]:
        # Only deliveries flagged with files cost this query (the sender's hot path skips it).
        grouped: dict[uuid.UUID, list[Attachment]] = {}
        if not delivery_ids:
            return grouped
        rows = await self.session.execute(
            select(DeliveryAttachmentRow)
            .where(col(DeliveryAttachmentRow.delivery_id).in_(delivery_ids))
            .order_by(col(DeliveryAttachmentRow.filename))
        )
        for row in rows.scalars():
            grouped.setdefault(row.delivery_id, []).append(
                Attachment(
                    filename=row.filename, content_type=row.content_type, content=row.content
                )
            )
        return grouped

    async def page(
        self,
        *,
        state: str | None,
        template: str | None,
        member_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Delivery]:
        """Deliveries newest first, filtered by the values given."""
        query = select(DeliveryRow)
        for column, value in (
            (DeliveryRow.state, state),
            (DeliveryRow.template, template),
            (DeliveryRow.member_id, member_id),
            (DeliveryRow.event_id, event_id),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        key = [col(DeliveryRow.created_at), col(DeliveryRow.id)]
        query = after_cursor(query, key, cursor, descending=True).limit(limit + 1)
        rows = list((await self.session.execute(query)).scalars())
        page = page_of(rows, limit=limit, key=_newest_first_key)
        return Page([self._keep(_delivery(row), row) for row in page.items], page.next_cursor)

    def _write(self, delivery: Delivery, row: DeliveryRow) -> None:
        row.recipient, row.language, row.payload = (
            delivery.recipient,
            delivery.language,
            delivery.payload,
        )
        row.state, row.attempts, row.last_error = (
            delivery.state,
            delivery.attempts,
            delivery.last_error,
        )
        row.next_attempt_at, row.sent_at = delivery.next_attempt_at, delivery.sent_at


# --- inquiries ------------------------------------------------------------------------


def _answer(row: InquiryAnswerRow) -> Answer:
    return Answer(
        id=row.id,
        body=row.body,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        author="member" if row.author == "member" else "ops",
    )


def _inquiry(row: InquiryRow, answers: list[Answer]) -> Inquiry:
    return Inquiry(
        id=row.id,
        member_id=row.member_id,
        category=row.category,
        subject=row.subject,
        body=row.body,
        order_id=row.order_id,
        status=row.status,
        version=row.aggregate_version,
        created_at=row.created_at,
        closed_at=row.closed_at,
        answers=answers,
    )


class InquiryRepository(_RowBacked[Inquiry, InquiryRow]):
    """Inquiries with their answers (R26)."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._stored_answers: set[uuid.UUID] = set()

    def add(self, inquiry: Inquiry) -> None:
        """Store a new inquiry."""
        row = InquiryRow(
            id=inquiry.id,
            member_id=inquiry.member_id,
            category=inquiry.category,
            subject=inquiry.subject,
            body=inquiry.body,
            order_id=inquiry.order_id,
            status=inquiry.status,
            aggregate_version=inquiry.version,
            created_at=inquiry.created_at,
        )
        self.session.add(row)
        self._keep(inquiry, row)

    async def get(self, inquiry_id: uuid.UUID, *, for_update: bool = False) -> Inquiry | None:
        """One inquiry with its answers (locked for a change when ``for_update``)."""
        row = await self.session.get(InquiryRow, inquiry_id, with_for_update=for_update)
        if row is None:
            return None
        answers = await self._answers_of([row.id])
        return self._keep(_inquiry(row, answers[row.id]), row)

    async def page(
        self, *, member_id: uuid.UUID | None, status: str | None, limit: int, cursor: str | None
    ) -> Page[Inquiry]:
        """Inquiries with their answers, newest first (``member_id``: only theirs)."""
        query = select(InquiryRow)
        if member_id is not None:
            query = query.where(col(InquiryRow.member_id) == member_id)
        if status is not None:
            query = query.where(col(InquiryRow.status) == status)
        key = [col(InquiryRow.created_at), col(InquiryRow.id)]
        query = after_cursor(query, key, cursor, descending=True).limit(limit + 1)
        rows = list((await self.session.execute(query)).scalars())
        page = page_of(rows, limit=limit, key=_newest_first_key)
        answers = await self._answers_of([row.id for row in page.items])
        items = [self._keep(_inquiry(row, answers[row.id]), row) for row in page.items]
        return Page(items, page.next_cursor)

    async def _answers_of(self, inquiry_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Answer]]:
        grouped: dict[uuid.UUID, list[Answer]] = {i: [] for i in inquiry_ids}
        if not inquiry_ids:
            return grouped
        rows = await self.session.execute(
            select(InquiryAnswerRow)
            .where(col(InquiryAnswerRow.inquiry_id).in_(inquiry_ids))
            .order_by(col(InquiryAnswerRow.answered_at))
        )
        for row in rows.scalars():
            self._stored_answers.add(row.id)
            grouped[row.inquiry_id].append(_answer(row))
        return grouped

    def _write(self, inquiry: Inquiry, row: InquiryRow) -> None:
        row.status, row.aggregate_version, row.closed_at = (
            inquiry.status,
            inquiry.version,
            inquiry.closed_at,
        )
        for answer in inquiry.answers:
            if answer.id not in self._stored_answers:
                self._stored_answers.add(answer.id)
                self.session.add(
                    InquiryAnswerRow(
                        id=answer.id,
                        inquiry_id=inquiry.id,
                        body=answer.body,
                        answered_by=answer.answered_by,
                        answered_at=answer.answered_at,
                        author=answer.author,
                    )
                )


# --- notices --------------------------------------------------------------------------


def _notice(row: NoticeRow) -> Notice:
    return Notice(
        id=row.id,
        draft=NoticeDraft(
            category=row.category,
            title_ja=row.title_ja,
            title_en=row.title_en,
            body_ja=row.body_ja,
            body_en=row.body_en,
            publish_at=row.publish_at,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            functions=tuple(row.functions),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
    )


class NoticeRepository(_RowBacked[Notice, NoticeRow]):
    """Site notices and maintenance windows (R1)."""

    def add(self, notice: Notice) -> None:
        """Store a new notice."""
        draft = notice.draft
        row = NoticeRow(
            id=notice.id,
            category=draft.category,
            title_ja=draft.title_ja,
            title_en=draft.title_en,
            body_ja=draft.body_ja,
            body_en=draft.body_en,
            created_at=notice.created_at,
        )
        self._write(notice, row)
        self.session.add(row)
        self._keep(notice, row)

    async def get(self, notice_id: uuid.UUID, *, for_update: bool = False) -> Notice | None:
        """One notice (locked for a change when ``for_update``)."""
        row = await self.session.get(NoticeRow, notice_id, with_for_update=for_update)
        return self._keep(_notice(row), row) if row is not None else None

    async def published(self, now: datetime) -> list[Notice]:
        """Notices published by ``now`` and not withdrawn (some may be over)."""
        return await self._where(
            col(NoticeRow.withdrawn_at).is_(None), col(NoticeRow.publish_at) <= now
        )

    async def newest_first(self) -> list[Notice]:
        """Every notice, drafts and withdrawn ones included, newest first (ops)."""
        return await self._where(order_by=col(NoticeRow.created_at).desc())

    async def maintenance_not_over(self, now: datetime) -> list[Notice]:
        """Live maintenance notices whose window has not ended at ``now``, soonest first."""
        return await self._where(
            col(NoticeRow.category).in_(MAINTENANCE_CATEGORIES),
            col(NoticeRow.withdrawn_at).is_(None),
            col(NoticeRow.ends_at) > now,
            order_by=col(NoticeRow.starts_at),
        )

    async def _where(self, *conditions: Any, order_by: Any = None) -> list[Notice]:
        query = select(NoticeRow).where(*conditions)
        if order_by is not None:
            query = query.order_by(order_by)
        rows = (await self.session.execute(query)).scalars()
        return [self._keep(_notice(row), row) for row in rows]

    def _write(self, notice: Notice, row: NoticeRow) -> None:
        draft = notice.draft
        row.category = draft.category
        row.title_ja, row.title_en = draft.title_ja, draft.title_en
        row.body_ja, row.body_en = draft.body_ja, draft.body_en
        row.publish_at, row.starts_at, row.ends_at = (
            draft.publish_at,
            draft.starts_at,
            draft.ends_at,
        )
        row.functions = list(draft.functions)
        row.withdrawn_at, row.updated_at = notice.withdrawn_at, notice.updated_at
