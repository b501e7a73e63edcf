"""Site notices and maintenance windows (R1): what a valid notice is, and which show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from servicekit.aggregate import Aggregate
from servicekit.errors import Conflict, Invalid, NotFound

NoticeCategory = Literal["maintenance", "emergency_maintenance", "information"]
MAINTENANCE_CATEGORIES = frozenset({"maintenance", "emergency_maintenance"})

#: Functions a maintenance window may cover: the services whose writes the gateway holds.
FUNCTIONS = frozenset({"identity", "catalog", "ordering", "billing", "notification"})


class NoticeRuleError(Invalid):
    """A notice breaks a rule; ``code`` is the stable problem code, ``field`` the culprit."""

    def __init__(self, code: str, field: str, en: str, ja: str) -> None:
        error = {"field": field, "code": code, "ja": ja, "en": en}
        super().__init__(code, ja=ja, en=en, errors=[error])
        self.field = field


class NoticeNotFound(NotFound):
    """No notice with that id."""

    def __init__(self) -> None:
        super().__init__("notice.not_found", ja="お知らせが見つかりません。", en="No such notice.")


class NoticeWithdrawn(Conflict):
    """A withdrawn notice cannot be edited or withdrawn again."""

    def __init__(self) -> None:
        super().__init__(
            "notice.withdrawn",
            ja="取り下げ済みのお知らせは変更できません。",
            en="A withdrawn notice cannot be changed.",
        )


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


@dataclass
class Notice(Aggregate):
    """A site notice (R1); a maintenance notice holds the window the gateway enforces."""

    id: uuid.UUID
    draft: NoticeDraft
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None = None

    @classmethod
    def post(cls, draft: NoticeDraft, *, at: datetime) -> Notice:
        """A new notice; raises :class:`NoticeRuleError` when it is incoherent."""
        check_notice(draft.window())
        return cls(id=uuid.uuid4(), draft=_stored(draft), created_at=at, updated_at=at)

    @property
    def window(self) -> NoticeWindow:
        return self.draft.window()

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def _live(self) -> None:
        if self.withdrawn:
            raise NoticeWithdrawn

    def edit(self, changes: dict[str, Any], *, at: datetime) -> None:
        """Apply ``changes`` (draft field → value) to a live notice, checked as a whole."""
        self._live()
        draft = replace(self.draft, **changes)
        check_notice(draft.window())
        self.draft = _stored(draft)
        self.updated_at = at

    def withdraw(self, *, at: datetime) -> None:
        """Take it off the site; its maintenance window (if any) ends at once."""
        self._live()
        self.withdrawn_at = self.updated_at = at

    def is_shown(self, now: datetime) -> bool:
        """Whether the public sees it now."""
        return is_shown(self.window, withdrawn=self.withdrawn, now=now)

    def in_progress(self, now: datetime) -> bool:
        """Maintenance: whether its window is running at ``now`` (by the service clock)."""
        starts_at, ends_at = self.draft.starts_at, self.draft.ends_at
        return starts_at is not None and ends_at is not None and starts_at <= now < ends_at


def _stored(draft: NoticeDraft) -> NoticeDraft:
    return replace(draft, functions=tuple(sorted(set(draft.functions))))
