"""/api/v1/me: the member's own profile, contact email and password (R8, R9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from identity.api.schemas import PasswordChangeBody, ProfilePatch, TokenBody
from identity.service_layer import accounts
from identity.service_layer.context import IdentityContext
from servicekit.auth import CurrentPrincipal

router = APIRouter(prefix="/api/v1/me", tags=["me"])


def _ctx(request: Request) -> IdentityContext:
    return IdentityContext.of(request.app.state.runtime)


@router.get("")
async def get_me(principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    """The caller's own profile; there is no way to name another member."""
    return await accounts.get_me(_ctx(request), member_id=principal.subject)


@router.patch("")
async def patch_me(
    body: ProfilePatch, principal: CurrentPrincipal, request: Request
) -> dict[str, Any]:
    """Change profile fields; a new contact email waits for its confirmation link."""
    changes = body.model_dump(exclude_unset=True)
    return await accounts.update_me(_ctx(request), member_id=principal.subject, changes=changes)


@router.post("/email/confirm")
async def confirm_email(body: TokenBody, request: Request) -> dict[str, Any]:
    """Confirm a new contact email with the token sent to it (no login needed: the
    link may be opened on another device; the token alone proves the mailbox)."""
    return await accounts.confirm_email_change(_ctx(request), token=body.token)


@router.post("/password", status_code=204)
async def change_password(
    body: PasswordChangeBody, principal: CurrentPrincipal, request: Request
) -> None:
    """Change the password; the member's other sessions are revoked."""
    await accounts.change_password(
        _ctx(request),
        member_id=principal.subject,
        session_id=principal.claims.get("sid"),
        current=body.current_password,
        new=body.new_password,
    )
