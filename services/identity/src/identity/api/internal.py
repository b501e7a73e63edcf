"""/internal: service-to-service endpoints (the gateway never routes them)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.deps import KeysDep, UowDep
from identity.api.schemas import Jwks
from identity.service_layer.sessions import published_keys

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/jwks")
async def jwks(response: Response, uow: UowDep, keys: KeysDep) -> Jwks:
    """The public keys verifying access tokens (current and recently retired)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return Jwks.model_validate({"keys": await published_keys(uow=uow, keys=keys)})
