"""The catalog service's HTTP app."""

from datetime import UTC, datetime

from fastapi import FastAPI

from catalog.api import ROUTERS
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env).

    ``app.state.clock`` is the app's source of the current time (the order
    calendar depends on it); tests replace it to pin a moment.
    """
    app = service_app(SERVICE, settings, routers=ROUTERS)
    app.state.clock = lambda: datetime.now(UTC)
    return app
