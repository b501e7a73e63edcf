"""The ordering service's HTTP app."""

from fastapi import FastAPI

from ordering.api import ROUTERS
from ordering.api.body_limit import BodyLimit
from ordering.bootstrap import SERVICE
from ordering.config import Settings
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env)."""
    app = service_app(SERVICE, settings, routers=ROUTERS)
    app.add_middleware(BodyLimit)
    return app
