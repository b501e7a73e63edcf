"""Site notices and maintenance windows (R1): what a valid notice is, and which show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

NoticeCategory = Literal["maintenance", "emergency_maintenance", "information"]
MAINTENANCE_CATEGORIES = frozenset({"maintenance", "emergency_maintenance"})

#: Functions a maintenance window may cover: the services whose writes the gateway holds.
FUNCTIONS = frozenset({"identity", "catalog", "ordering", "billing", "notification"})


class NoticeRuleError(ValueError):
    """A notice breaks a rule; ``code`` is the stable problem code, ``field`` the culprit."""

    def __init__(self, code: str, field: str, en: str, ja: str) -> None:
        super().__init__(en)
        self.code, self.field, self.en, self.ja = code, field, en, ja


@dataclass(frozen=True)
class NoticeWindow:
    """The scheduling part of a notice."""

    category: str
    publish_at: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    functions: tuple[str, ...]

    @property
    def is_maintenance(self) -> bool:
        return self.category in MAINTENANCE_CATEGORIES


def check_notice(window: NoticeWindow) -> None:
    """Raise :class:`NoticeRuleError` unless the notice is coherent.

    A maintenance notice needs a window (start before end) and at least one
    known function; an information notice has no start or functions, only an
    optional end after which it is no longer shown.
    """
    if window.ends_at is not None and window.starts_at is not None:
        if window.ends_at <= window.starts_at:
            raise NoticeRuleError(
                "notice.window_invalid",
                "ends_at",
                "The maintenance must end after it starts.",
                "メンテナンスの終了日時は開始日時より後にしてください。",
            )
    if window.is_maintenance:
        if window.starts_at is None or window.ends_at is None:
            raise NoticeRuleError(
                "notice.window_required",
                "starts_at",
                "A maintenance notice needs its start and end time.",
                "メンテナンスのお知らせには開始日時と終了日時が必要です。",
            )
        if not window.functions:
            raise NoticeRuleError(
                "notice.functions_required",
                "functions",
                "A maintenance notice names the functions it covers.",
                "メンテナンスの対象機能を指定してください。",
            )
        unknown = sorted(set(window.functions) - FUNCTIONS)
        if unknown:
            raise NoticeRuleError(
                "notice.function_unknown",
                "functions",
                f"Unknown functions: {', '.join(unknown)}.",
                f"不明な機能です: {', '.join(unknown)}",
            )
    elif window.starts_at is not None or window.functions:
        raise NoticeRuleError(
            "notice.window_not_allowed",
            "starts_at",
            "Only maintenance notices have a window and functions.",
            "開始日時と対象機能はメンテナンスのお知らせにのみ指定できます。",
        )


def is_shown(window: NoticeWindow, *, withdrawn: bool, now: datetime) -> bool:
    """Whether the public sees the notice now: published, not withdrawn, not over."""
    if withdrawn or window.publish_at > now:
        return False
    return window.ends_at is None or window.ends_at > now


def display_order(window: NoticeWindow) -> tuple[int, float]:
    """Sort key of the public list: maintenance first (emergency before planned, the
    soonest window first), then information, newest first."""
    if window.category == "emergency_maintenance":
        return (0, window.starts_at.timestamp() if window.starts_at else 0.0)
    if window.category == "maintenance":
        return (1, window.starts_at.timestamp() if window.starts_at else 0.0)
    return (2, -window.publish_at.timestamp())
