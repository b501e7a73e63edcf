"""The identity service runs on the platform: migrations apply, probes answer, DLQ is ops-only."""

from typing import Any

from identity.bootstrap import SERVICE
from servicekit.testing.service import check_service_platform


async def test_identity_migrates_and_answers_probes(infra: Any, token_issuer: Any) -> None:
    await check_service_platform(SERVICE, infra, token_issuer)
