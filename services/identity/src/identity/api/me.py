"""/api/v1/me: the member's own profile, contact email and password (R8, R9)."""

from __future__ import annotations

from fastapi import APIRouter

from identity.api.deps import EventBoxDep, PasswordsDep, SettingsDep, UowDep
from identity.api.schemas import MemberView, PasswordChangeBody, ProfilePatch, TokenBody
from identity.service_layer import my_page
from servicekit.auth import CurrentPrincipal, member_id_of

router = APIRouter(prefix="/api/v1/me", tags=["me"])


@router.get("")
async def get_me(principal: CurrentPrincipal, uow: UowDep) -> MemberView:
    """The caller's own profile; there is no way to name another member."""
    member = await my_page.get_me(uow=uow, member_id=member_id_of(principal))
    return MemberView.of(member)


@router.patch("")
async def patch_me(
    body: ProfilePatch,
    principal: CurrentPrincipal,
    uow: UowDep,
    event_box: EventBoxDep,
    settings: SettingsDep,
) -> MemberView:
    """Change profile fields; a new contact email waits for its confirmation link."""
    changes = body.model_dump(exclude_unset=True, exclude={"contact_email"})
    member = await my_page.update_me(
        uow=uow,
        event_box=event_box,
        settings=settings,
        member_id=member_id_of(principal),
        changes=changes,
        contact_email=body.contact_email,
    )
    return MemberView.of(member)


@router.post("/email/confirm")
async def confirm_email(body: TokenBody, uow: UowDep) -> MemberView:
    """Confirm a new contact email with the token sent to it (no login needed: the
    link may be opened on another device; the token alone proves the mailbox)."""
    return MemberView.of(await my_page.confirm_email_change(uow=uow, token=body.token))


@router.post("/password", status_code=204)
async def change_password(
    body: PasswordChangeBody, principal: CurrentPrincipal, uow: UowDep, passwords: PasswordsDep
) -> None:
    """Change the password; the member's other sessions are revoked."""
    await my_page.change_password(
        uow=uow,
        passwords=passwords,
        member_id=member_id_of(principal),
        session_id=principal.claims.get("sid"),
        current=body.current_password,
        new=body.new_password,
    )
