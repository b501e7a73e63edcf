"""The identity service's process-wide helpers, built once per runtime."""

from __future__ import annotations

from dataclasses import dataclass

from identity.config import Settings
from identity.service_layer.keys import KeyRing
from identity.service_layer.passwords import Passwords
from identity.service_layer.throttle import LoginThrottle
from servicekit.crypto import SecretBox
from servicekit.runtime import Runtime


@dataclass
class IdentityContext:
    """Settings, keys, password hasher, login throttle and the two secret boxes."""

    runtime: Runtime
    settings: Settings
    keys: KeyRing
    passwords: Passwords
    throttle: LoginThrottle
    #: Seals tokens in events for notification (EVENT_SECRET_KEY).
    event_box: SecretBox
    #: Encrypts TOTP secrets at rest (SIGNING_KEY_SECRET).
    secret_box: SecretBox

    @classmethod
    def of(cls, runtime: Runtime) -> IdentityContext:
        """The context stored on ``runtime`` (created on first use)."""
        existing = runtime.extras.get("identity")
        if existing is None:
            settings = runtime.settings
            assert isinstance(settings, Settings)
            existing = cls(
                runtime=runtime,
                settings=settings,
                keys=KeyRing(settings),
                passwords=Passwords(settings),
                throttle=LoginThrottle(runtime.redis, settings),
                event_box=SecretBox(settings.event_secret_key),
                secret_box=SecretBox(settings.signing_key_secret),
            )
            runtime.extras["identity"] = existing
        return existing
