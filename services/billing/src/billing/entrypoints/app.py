"""The billing service's HTTP app."""

from fastapi import FastAPI

from billing.api import ROUTERS
from billing.bootstrap import SERVICE
from billing.config import Settings
from servicekit.service import service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (uvicorn calls this with no argument: settings come from the env)."""
    return service_app(SERVICE, settings, routers=ROUTERS)
