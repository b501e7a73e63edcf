"""Site notices (R1): ops create, edit and withdraw them; the public reads the live ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from notification.adapters.tables import Notice
from notification.domain.notices import (
    NoticeWindow,
    check_notice,
    display_order,
    is_shown,
)
from servicekit.clock import system_clock
from servicekit.uow import UnitOfWork


class NoticeNotFound(LookupError):
    """No notice with that id."""


class NoticeWithdrawn(Exception):
    """A withdrawn notice cannot be edited or withdrawn again."""


@dataclass(frozen=True)
class NoticeDraft:
    """Every field of a notice as ops set it."""

    category: str
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str
    publish_at: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    functions: tuple[str, ...]

    def window(self) -> NoticeWindow:
        return NoticeWindow(
            category=self.category,
            publish_at=self.publish_at,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            functions=self.functions,
        )


def window_of(notice: Notice) -> NoticeWindow:
    """The scheduling part of a stored notice."""
    return NoticeWindow(
        category=notice.category,
        publish_at=notice.publish_at,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        functions=tuple(notice.functions),
    )


def draft_of(notice: Notice) -> NoticeDraft:
    """The stored notice as a draft, to apply an edit to."""
    return NoticeDraft(
        category=notice.category,
        title_ja=notice.title_ja,
        title_en=notice.title_en,
        body_ja=notice.body_ja,
        body_en=notice.body_en,
        publish_at=notice.publish_at,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        functions=tuple(notice.functions),
    )


def _apply(notice: Notice, draft: NoticeDraft) -> None:
    notice.category = draft.category
    notice.title_ja, notice.title_en = draft.title_ja, draft.title_en
    notice.body_ja, notice.body_en = draft.body_ja, draft.body_en
    notice.publish_at = draft.publish_at
    notice.starts_at, notice.ends_at = draft.starts_at, draft.ends_at
    notice.functions = sorted(set(draft.functions))
    notice.updated_at = system_clock()


def _audit_details(notice: Notice) -> dict[str, Any]:
    return {
        "category": notice.category,
        "title_ja": notice.title_ja,
        "publish_at": notice.publish_at.isoformat(),
        "starts_at": notice.starts_at.isoformat() if notice.starts_at else None,
        "ends_at": notice.ends_at.isoformat() if notice.ends_at else None,
        "functions": list(notice.functions),
    }


async def create_notice(uow: UnitOfWork, *, draft: NoticeDraft, actor: str) -> Notice:
    """Create a notice (raises ``NoticeRuleError`` when incoherent), audited (R29)."""
    check_notice(draft.window())
    notice = Notice(
        id=uuid.uuid4(),
        category=draft.category,
        title_ja=draft.title_ja,
        title_en=draft.title_en,
        body_ja=draft.body_ja,
        body_en=draft.body_en,
    )
    _apply(notice, draft)
    uow.session.add(notice)
    uow.audit(actor=actor, action="notice.created", target=str(notice.id), **_audit_details(notice))
    await uow.commit()
    return notice


async def _locked(session: AsyncSession, notice_id: uuid.UUID) -> Notice:
    notice = await session.get(Notice, notice_id, with_for_update=True)
    if notice is None:
        raise NoticeNotFound
    if notice.withdrawn_at is not None:
        raise NoticeWithdrawn
    return notice


async def edit_notice(
    uow: UnitOfWork, *, notice_id: uuid.UUID, changes: dict[str, Any], actor: str
) -> Notice:
    """Apply ``changes`` (draft field → value) to a live notice, audited."""
    notice = await _locked(uow.session, notice_id)
    current = draft_of(notice)
    draft = NoticeDraft(**{**current.__dict__, **changes})
    check_notice(draft.window())
    _apply(notice, draft)
    uow.audit(
        actor=actor,
        action="notice.edited",
        target=str(notice.id),
        changed=sorted(changes),
        **_audit_details(notice),
    )
    await uow.commit()
    return notice


async def withdraw_notice(uow: UnitOfWork, *, notice_id: uuid.UUID, actor: str) -> Notice:
    """Withdraw a notice: it leaves the site and its maintenance window ends at once."""
    notice = await _locked(uow.session, notice_id)
    notice.withdrawn_at = notice.updated_at = system_clock()
    uow.audit(actor=actor, action="notice.withdrawn", target=str(notice.id))
    await uow.commit()
    return notice


async def live_notices(session: AsyncSession, now: datetime) -> list[Notice]:
    """What the public sees now: current and upcoming notices, maintenance first."""
    rows = (
        await session.execute(
            select(Notice)
            .where(col(Notice.withdrawn_at).is_(None))
            .where(col(Notice.publish_at) <= now)
        )
    ).scalars()
    shown = [row for row in rows if is_shown(window_of(row), withdrawn=False, now=now)]
    return sorted(shown, key=lambda row: display_order(window_of(row)))


async def all_notices(session: AsyncSession) -> list[Notice]:
    """Every notice, drafts and withdrawn ones included, newest first (ops)."""
    rows = await session.execute(select(Notice).order_by(col(Notice.created_at).desc()))
    return list(rows.scalars())
