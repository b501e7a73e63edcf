"""R33: a withdrawal refused by ops at the withdrawal desk emails the member the reason,
in the member's language; a withdrawal confirmed emails the end of membership."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bizmall_events import WithdrawalDecided
from bizmall_testkit.mail import body_of
from servicekit.testing.smtp import SmtpSink

#: The running service (the ``notification`` fixture of conftest.py).
Notification = Any


def _of(envelope: Any) -> Any:
    return lambda mail: mail["X-Bizmall-Event-ID"] == str(envelope.id)


@pytest.mark.parametrize(
    ("language", "reason", "said"),
    [
        ("ja", "未払いの請求が残っています。", "理由：未払いの請求が残っています。"),
        ("en", "An invoice is still unpaid.", "Reason: An invoice is still unpaid."),
    ],
)
async def test_r33_a_refused_withdrawal_emails_its_reason(
    notification: Notification, smtp_sink: SmtpSink, language: str, reason: str, said: str
) -> None:
    email = f"refused-{uuid.uuid4().hex[:8]}@example.jp"
    member_id = await notification.member(email=email, language=language)
    envelope = await notification.publish(
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            member_id=member_id,
            decision="refused",
            reason=reason,
            aggregate_version=2,
        )
    )
    mail = await smtp_sink.wait_for(_of(envelope))
    body = body_of(mail)
    assert mail["To"] == email and mail["X-Bizmall-Template"] == "withdrawal_decided"
    assert said in body


async def test_r33_a_confirmed_withdrawal_emails_the_end_of_membership(
    notification: Notification, smtp_sink: SmtpSink
) -> None:
    member_id = await notification.member(email="withdrawn@example.jp")
    envelope = await notification.publish(
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            member_id=member_id,
            decision="withdrawn",
            aggregate_version=2,
        )
    )
    mail = await smtp_sink.wait_for(_of(envelope))
    assert "退会の手続きが完了しました" in body_of(mail)
    assert "理由" not in body_of(mail)
