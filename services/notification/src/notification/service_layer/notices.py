"""Site notices (R1): ops post, edit and withdraw them; the public reads the live ones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from notification.domain.notices import Notice, NoticeDraft, NoticeNotFound, display_order
from notification.service_layer.unit_of_work import NotificationUnitOfWork


def _audit_details(notice: Notice) -> dict[str, Any]:
    draft = notice.draft
    return {
        "category": draft.category,
        "title_ja": draft.title_ja,
        "publish_at": draft.publish_at.isoformat(),
        "starts_at": draft.starts_at.isoformat() if draft.starts_at else None,
        "ends_at": draft.ends_at.isoformat() if draft.ends_at else None,
        "functions": list(draft.functions),
    }


async def create_notice(*, uow: NotificationUnitOfWork, draft: NoticeDraft, actor: str) -> Notice:
    """Post a notice (raises ``NoticeRuleError`` when incoherent), audited (R29)."""
    notice = Notice.post(draft, at=uow.now())
    uow.notices.add(notice)
    uow.audit(actor=actor, action="notice.created", target=str(notice.id), **_audit_details(notice))
    await uow.commit()
    return notice


async def _live(uow: NotificationUnitOfWork, notice_id: uuid.UUID) -> Notice:
    notice = await uow.notices.get(notice_id, for_update=True)
    if notice is None:
        raise NoticeNotFound
    return notice


async def edit_notice(
    *, uow: NotificationUnitOfWork, notice_id: uuid.UUID, changes: dict[str, Any], actor: str
) -> Notice:
    """Apply ``changes`` (draft field → value) to a live notice, audited."""
    notice = await _live(uow, notice_id)
    notice.edit(changes, at=uow.now())
    uow.audit(
        actor=actor,
        action="notice.edited",
        target=str(notice.id),
        changed=sorted(changes),
        **_audit_details(notice),
    )
    await uow.commit()
    return notice


async def withdraw_notice(
    *, uow: NotificationUnitOfWork, notice_id: uuid.UUID, actor: str
) -> Notice:
    """Withdraw a notice: it leaves the site and its maintenance window ends at once."""
    notice = await _live(uow, notice_id)
    notice.withdraw(at=uow.now())
    uow.audit(actor=actor, action="notice.withdrawn", target=str(notice.id))
    await uow.commit()
    return notice


async def read_notice(*, uow: NotificationUnitOfWork, notice_id: uuid.UUID) -> Notice:
    """Any notice, withdrawn ones included (ops)."""
    notice = await uow.notices.get(notice_id)
    if notice is None:
        raise NoticeNotFound
    return notice


async def live_notices(*, uow: NotificationUnitOfWork, now: datetime) -> list[Notice]:
    """What the public sees now: current and upcoming notices, maintenance first."""
    shown = [notice for notice in await uow.notices.published(now) if notice.is_shown(now)]
    return sorted(shown, key=lambda notice: display_order(notice.window))


async def all_notices(*, uow: NotificationUnitOfWork) -> list[Notice]:
    """Every notice, drafts and withdrawn ones included, newest first (ops)."""
    return await uow.notices.newest_first()
