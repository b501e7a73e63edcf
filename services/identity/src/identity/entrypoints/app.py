"""The identity service's HTTP app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identity.api import ROUTERS
from identity.api.errors import install_error_handlers
from identity.bootstrap import SERVICE, IdentityAdapters
from identity.config import Settings
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env)."""
    app = service_app(SERVICE, settings, routers=ROUTERS)
    adapters = IdentityAdapters.of(app.state.runtime)
    app.state.identity = adapters
    platform_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The login's own pool closes with the platform's resources.
        try:
            async with platform_lifespan(app):
                yield
        finally:
            await adapters.logins.close()

    app.router.lifespan_context = lifespan
    install_error_handlers(app)
    return app
