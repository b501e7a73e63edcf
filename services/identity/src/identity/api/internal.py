"""/internal: service-to-service endpoints (the gateway never routes them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from identity.service_layer.context import IdentityContext

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/jwks")
async def jwks(request: Request) -> JSONResponse:
    """The public keys verifying access tokens (current and recently retired)."""
    ctx = IdentityContext.of(request.app.state.runtime)
    async with ctx.runtime.uow() as uow:
        document: dict[str, Any] = await ctx.keys.jwks(uow.session)
        await uow.commit()  # the first call creates the first key
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=60"})
