"""The life of one email delivery: pending → sent, or → failed after the last attempt.

Pure rules; the sender (service_layer.sender) applies them to the ``delivery`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

DeliveryState = Literal["pending", "sent", "failed"]


@dataclass(frozen=True)
class AfterFailure:
    """What a failed attempt leaves: still pending with a later attempt, or failed."""

    state: DeliveryState
    next_attempt_at: datetime


def after_failure(
    *, attempts: int, retry_delays: Sequence[float], now: datetime, permanent: bool = False
) -> AfterFailure:
    """The state after attempt number ``attempts`` failed.

    Each retry waits longer (``retry_delays[attempts - 1]``); once every delay is
    used, or the failure cannot heal by waiting (``permanent``), the delivery is
    failed and stays for ops to see.
    """
    if permanent or attempts > len(retry_delays):
        return AfterFailure("failed", now)
    return AfterFailure("pending", now + timedelta(seconds=retry_delays[attempts - 1]))
