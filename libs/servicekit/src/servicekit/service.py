"""Building a service's HTTP app from its definition: the same wiring for all five."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI

from servicekit import tracing
from servicekit.auth import JWKSVerifier
from servicekit.cli import ServiceDefinition
from servicekit.health import database_check, redis_check
from servicekit.logging import ensure_logging
from servicekit.openapi import document_problems
from servicekit.ops import audit_log_router, dead_letter_router
from servicekit.settings import ServiceSettings
from servicekit.web import create_service_app


def service_app(
    definition: ServiceDefinition,
    settings: ServiceSettings | None,
    *,
    routers: Sequence[APIRouter],
    resources: Callable[[FastAPI], AbstractAsyncContextManager[object]] | None = None,
) -> FastAPI:
    """The FastAPI app of a service: its routers, its DLQ and audit-log ops routes,
    probes, auth, errors.

    ``app.state.runtime`` holds the process resources; ``app.state.jwks_verifier``
    verifies bearer tokens against identity's keys. ``resources``: the service's own
    for the app's lifespan (catalog's cache subscriber, identity's login pool),
    entered when the app starts and left before the shared runtime closes.
    """
    settings = settings or definition.settings_class()
    ensure_logging(definition.name, settings.log_level)
    tracing.configure(definition.name)
    runtime = definition.runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            if resources is None:
                yield
            else:
                async with resources(_app):
                    yield
        finally:
            await app.state.jwks_verifier.close()
            await runtime.close()

    app = create_service_app(
        settings=settings,
        title=f"bizmall {definition.name}",
        routers=[*routers, dead_letter_router(definition.name), audit_log_router(definition.name)],
        # No broker check: an API writes its events to the outbox, not to RabbitMQ,
        # so a broker outage must not take every API replica out of its Service
        # (the workers' readiness names the broker).
        readiness={
            "database": database_check(runtime.engine),
            "redis": redis_check(runtime.redis),
        },
        # Without Redis a service loses caches and rate limits, not its work.
        optional_readiness={"redis"},
        lifespan=lifespan,
    )
    document_problems(app)
    app.state.runtime = runtime
    app.state.jwks_verifier = JWKSVerifier(settings.jwks_url)
    return app
