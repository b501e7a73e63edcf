"""The identity service's HTTP app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identity.api import ROUTERS
from identity.api.errors import install_error_handlers
from identity.bootstrap import SERVICE, IdentityAdapters
from identity.config import Settings
from servicekit.service import service_app


@asynccontextmanager
async def _login_pool(app: FastAPI) -> AsyncIterator[None]:
    # The login's own pool closes before the platform's resources.
    try:
        yield
    finally:
        await app.state.identity.logins.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env)."""
    app = service_app(SERVICE, settings, routers=ROUTERS, resources=_login_pool)
    app.state.identity = IdentityAdapters.of(app.state.runtime)
    install_error_handlers(app)
    return app
