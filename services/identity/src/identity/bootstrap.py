"""The composition root of the identity service: what it runs, what it consumes, and
the adapters its handlers are given."""

from __future__ import annotations

from dataclasses import dataclass

from identity.adapters.answer_floor import AnswerFloor
from identity.adapters.document_store import DocumentStore
from identity.adapters.keys import KeyRing
from identity.adapters.login_challenges import LoginChallenges
from identity.adapters.login_store import LoginStore
from identity.adapters.ordering_client import OrderingClient
from identity.adapters.passwords import Passwords
from identity.adapters.recent_rotations import RecentRotations
from identity.adapters.throttle import LoginThrottle, MailCooldown
from identity.config import Settings
from identity.entrypoints.commands import create_operator_command, create_ops_command, seed
from identity.entrypoints.jobs import jobs
from identity.entrypoints.subscriptions import subscriptions
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.cli import ServiceDefinition
from servicekit.crypto import SecretBox
from servicekit.runtime import Runtime


@dataclass(frozen=True)
class IdentityAdapters:
    """The process-wide adapters of the identity API, built once per app."""

    settings: Settings
    keys: KeyRing
    passwords: Passwords
    throttle: LoginThrottle
    challenges: LoginChallenges
    #: A member's login's own statements, off the unit of work (issue 20).
    logins: LoginStore
    #: Per-address cooldown of verification resends.
    cooldown: MailCooldown
    #: The pairs refresh tokens were just rotated into (the grace window).
    rotations: RecentRotations
    #: The least answer time of password reset and verification resend (R10).
    floor: AnswerFloor
    #: Seals tokens in events for notification (EVENT_SECRET_KEY).
    event_box: SecretBox
    #: Encrypts TOTP secrets at rest (SIGNING_KEY_SECRET).
    secret_box: SecretBox
    documents: DocumentStore
    ordering: OrderingClient

    @classmethod
    def of(cls, runtime: Runtime) -> IdentityAdapters:
        settings = runtime.settings
        assert isinstance(settings, Settings)
        return cls(
            settings=settings,
            keys=KeyRing(settings),
            passwords=Passwords(settings),
            throttle=LoginThrottle(runtime.redis, settings),
            challenges=LoginChallenges(runtime.redis, settings.redis_namespace),
            logins=LoginStore(runtime.engine),
            cooldown=MailCooldown(runtime.redis, settings),
            rotations=RecentRotations(
                runtime.redis,
                settings.redis_namespace,
                SecretBox(settings.signing_key_secret),
                grace_seconds=settings.refresh_grace_seconds,
            ),
            floor=AnswerFloor(settings.anonymous_answer_floor_seconds),
            event_box=SecretBox(settings.event_secret_key),
            secret_box=SecretBox(settings.signing_key_secret),
            documents=DocumentStore.of(settings),
            ordering=OrderingClient.of(settings),
        )


SERVICE = ServiceDefinition(
    name="identity",
    settings_class=Settings,
    app_factory="identity.entrypoints.app:create_app",
    uow_class=IdentityUnitOfWork,
    subscriptions=subscriptions,
    jobs=jobs,
    seed=seed,
    commands={"create-operator": create_operator_command, "create-ops": create_ops_command},
)
