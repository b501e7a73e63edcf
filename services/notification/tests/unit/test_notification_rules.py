"""Pure rules: delivery retries (R27), notice coherence and order (R1), inquiry states (R26)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notification.domain.delivery import after_failure
from notification.domain.inquiries import InquiryClosed, status_after_answer, status_after_close
from notification.domain.notices import NoticeRuleError, NoticeWindow, check_notice, display_order

NOW = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)


def test_r27_each_retry_waits_longer_then_the_delivery_fails() -> None:
    delays = [10, 60, 300]
    waits = [after_failure(attempts=n, retry_delays=delays, now=NOW) for n in (1, 2, 3)]
    assert [w.state for w in waits] == ["pending"] * 3
    assert [w.next_attempt_at - NOW for w in waits] == [timedelta(seconds=d) for d in delays]
    assert after_failure(attempts=4, retry_delays=delays, now=NOW).state == "failed"


def test_r27_a_permanent_failure_is_not_retried() -> None:
    assert after_failure(attempts=1, retry_delays=[10], now=NOW, permanent=True).state == "failed"


def _window(category: str, **kw: object) -> NoticeWindow:
    values: dict[str, object] = {
        "category": category,
        "publish_at": NOW,
        "starts_at": None,
        "ends_at": None,
        "functions": (),
    }
    values.update(kw)
    return NoticeWindow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("window", "code"),
    [
        (_window("maintenance", functions=("ordering",)), "notice.window_required"),
        (
            _window("maintenance", starts_at=NOW, ends_at=NOW, functions=("ordering",)),
            "notice.window_invalid",
        ),
        (
            _window("maintenance", starts_at=NOW, ends_at=NOW + timedelta(hours=1)),
            "notice.functions_required",
        ),
        (
            _window(
                "emergency_maintenance",
                starts_at=NOW,
                ends_at=NOW + timedelta(hours=1),
                functions=("payments",),
            ),
            "notice.function_unknown",
        ),
        (_window("information", functions=("ordering",)), "notice.window_not_allowed"),
    ],
)
def test_r1_incoherent_notice_is_refused(window: NoticeWindow, code: str) -> None:
    with pytest.raises(NoticeRuleError) as caught:
        check_notice(window)
    assert caught.value.code == code


def test_r1_maintenance_comes_before_information() -> None:
    info = _window("information", publish_at=NOW)
    planned = _window(
        "maintenance", starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=3)
    )
    emergency = _window("emergency_maintenance", starts_at=NOW, ends_at=NOW + timedelta(hours=1))
    assert sorted([info, planned, emergency], key=display_order) == [emergency, planned, info]


def test_r26_a_closed_inquiry_takes_no_answer() -> None:
    assert status_after_answer("open") == "answered"
    assert status_after_close("answered") == "closed"
    with pytest.raises(InquiryClosed):
        status_after_answer("closed")
