"""Publishing the maintenance windows for the gateway (R1).

Every window not yet over is written, upcoming ones included: the gateway compares
``starts_at``/``ends_at`` with its clock, so a window starts and ends on time even
between two refreshes. "Not yet over" is judged by the service clock.
"""

from __future__ import annotations

from typing import Any, Protocol

from notification.domain.notices import Notice
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit.logging import get_logger

_log = get_logger("notification.maintenance")


class Board(Protocol):
    """Where the gateway reads the windows (``adapters.maintenance_board``)."""

    async def write(self, windows: list[dict[str, Any]]) -> None: ...


def gateway_window(notice: Notice) -> dict[str, Any]:
    """One window in the gateway's contract: what it holds, when, and what it says."""
    draft = notice.draft
    return {
        "notice_id": str(notice.id),
        "functions": sorted(draft.functions),
        "starts_at": draft.starts_at.isoformat() if draft.starts_at else None,
        "ends_at": draft.ends_at.isoformat() if draft.ends_at else None,
        "message_ja": f"{draft.title_ja}：{draft.body_ja}",
        "message_en": f"{draft.title_en}: {draft.body_en}",
    }


async def open_windows(*, uow: NotificationUnitOfWork) -> list[dict[str, Any]]:
    """Every maintenance window of a live notice that has not ended, soonest first."""
    notices = await uow.notices.maintenance_not_over(uow.now())
    return [gateway_window(notice) for notice in notices]


async def publish_maintenance(*, uow: NotificationUnitOfWork, board: Board) -> list[dict[str, Any]]:
    """Rewrite the gateway's windows from the notices; returns the windows written."""
    async with uow:
        windows = await open_windows(uow=uow)
    await board.write(windows)
    return windows


async def publish_maintenance_soon(*, uow: NotificationUnitOfWork, board: Board) -> None:
    """Publish after a notice changed; on a Redis error the periodic job catches up."""
    try:
        await publish_maintenance(uow=uow, board=board)
    except Exception as exc:
        _log.warning("maintenance windows not published; the next refresh will", error=str(exc))
