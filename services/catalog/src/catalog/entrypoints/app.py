"""The catalog service's HTTP app."""

from fastapi import FastAPI

from catalog.api import ROUTERS
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env)."""
    return service_app(SERVICE, settings, routers=ROUTERS)
