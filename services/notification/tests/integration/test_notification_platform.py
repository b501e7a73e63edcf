"""The notification service stands on the platform: migrations, probes, ops-only DLQ."""

from typing import Any

from notification.bootstrap import SERVICE
from servicekit.testing.service import check_service_platform


async def test_notification_migrates_and_answers_probes(infra: Any, token_issuer: Any) -> None:
    await check_service_platform(SERVICE, infra, token_issuer)
