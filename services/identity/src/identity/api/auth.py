"""/api/v1/auth: registration, verification, login, sessions, password reset.

The refresh token is set as an ``HttpOnly; Secure; SameSite=Strict`` cookie
scoped to ``/api/v1/auth`` (the web client) and also returned in the body for
API clients. A refresh or logout that relies on the cookie must carry
``X-Requested-With: bizmall``, which a cross-site form cannot send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Response

from identity.api.deps import (
    ChallengesDep,
    ClientIpDep,
    EventBoxDep,
    KeysDep,
    PasswordsDep,
    SecretBoxDep,
    SettingsDep,
    ThrottleDep,
    UowDep,
)
from identity.api.errors import csrf_header_missing, no_session
from identity.api.schemas import (
    EmailBody,
    LoginBody,
    OpsChallengeAnswer,
    RefreshBody,
    RegistrationBody,
    ResetConfirmBody,
    StatusAnswer,
    TokenAnswer,
    TokenBody,
    TotpBody,
)
from identity.config import Settings
from identity.service_layer import password_reset as password_reset_handlers
from identity.service_layer import registration, sessions

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

REFRESH_COOKIE = "bizmall_refresh"
COOKIE_PATH = "/api/v1/auth"
CSRF_HEADER_VALUE = "bizmall"

_ACCEPTED = StatusAnswer(status="accepted")


def _token_answer(response: Response, settings: Settings, session: sessions.Session) -> TokenAnswer:
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        REFRESH_COOKIE,
        session.refresh_token,
        max_age=settings.refresh_token_ttl_seconds,
        path=COOKIE_PATH,
        httponly=True,
        secure=settings.refresh_cookie_secure,
        samesite="strict",
    )
    return TokenAnswer.of(session)


def _refresh_token(body: RefreshBody | None, cookie: str | None, csrf: str | None) -> str | None:
    if body is not None and body.refresh_token:
        return body.refresh_token
    if cookie:
        if csrf != CSRF_HEADER_VALUE:
            raise csrf_header_missing()
        return cookie
    return None


@router.post("/register", status_code=202)
async def register(
    body: RegistrationBody,
    uow: UowDep,
    passwords: PasswordsDep,
    event_box: EventBoxDep,
    settings: SettingsDep,
) -> StatusAnswer:
    """Register (R5); always 202, whether or not the email is already a member (R10)."""
    await registration.register(
        uow=uow,
        passwords=passwords,
        event_box=event_box,
        settings=settings,
        registration=body.registration(),
        password=body.password,
    )
    return _ACCEPTED


@router.post("/verify-email")
async def verify_email(body: TokenBody, uow: UowDep) -> StatusAnswer:
    """Complete registration with the emailed token (R6)."""
    await registration.verify_email(uow=uow, token=body.token)
    return StatusAnswer(status="verified")


@router.post("/verify-email/resend", status_code=202)
async def resend_verification(
    body: EmailBody, uow: UowDep, event_box: EventBoxDep, settings: SettingsDep
) -> StatusAnswer:
    """A new verification link for an unverified account; always 202."""
    await registration.resend_verification(
        uow=uow, event_box=event_box, settings=settings, email=body.email
    )
    return _ACCEPTED


@router.post(
    "/login",
    response_model=TokenAnswer | OpsChallengeAnswer,
    response_model_exclude_none=True,
    responses={
        401: {"description": "Wrong login ID or password (`auth.invalid_credentials`)."},
        403: {"description": "Email not verified yet, or the account is withdrawn."},
        429: {"description": "Too many failed logins for the account (`auth.too_many_attempts`)."},
    },
)
async def login(
    body: LoginBody,
    response: Response,
    uow: UowDep,
    passwords: PasswordsDep,
    throttle: ThrottleDep,
    challenges: ChallengesDep,
    keys: KeysDep,
    secret_box: SecretBoxDep,
    settings: SettingsDep,
    ip: ClientIpDep,
) -> TokenAnswer | OpsChallengeAnswer:
    """A session for a member; for an operator a TOTP challenge (R29)."""
    result = await sessions.login(
        uow=uow,
        passwords=passwords,
        throttle=throttle,
        challenges=challenges,
        keys=keys,
        secret_box=secret_box,
        settings=settings,
        login_id=body.login_id,
        password=body.password,
        ip=ip,
    )
    if isinstance(result, sessions.Session):
        return _token_answer(response, settings, result)
    return OpsChallengeAnswer.of(result)


@router.post(
    "/login/totp",
    responses={401: {"description": "Wrong or expired code (`auth.totp_invalid`)."}},
)
async def login_totp(
    body: TotpBody,
    response: Response,
    uow: UowDep,
    challenges: ChallengesDep,
    keys: KeysDep,
    secret_box: SecretBoxDep,
    settings: SettingsDep,
) -> TokenAnswer:
    """Complete an operator's login with the TOTP code."""
    session = await sessions.login_totp(
        uow=uow,
        challenges=challenges,
        keys=keys,
        secret_box=secret_box,
        settings=settings,
        challenge=body.challenge_token,
        code=body.code,
    )
    return _token_answer(response, settings, session)


@router.post(
    "/refresh",
    responses={
        401: {"description": "No session, or a refresh token revoked, expired or reused."},
        403: {"description": "The cookie came without `X-Requested-With: bizmall`."},
    },
)
async def refresh(
    response: Response,
    uow: UowDep,
    keys: KeysDep,
    settings: SettingsDep,
    body: RefreshBody | None = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> TokenAnswer:
    """Rotate the refresh token; a reused token revokes its session family."""
    token = _refresh_token(body, cookie, x_requested_with)
    if token is None:
        raise no_session()
    session = await sessions.refresh(uow=uow, keys=keys, settings=settings, token=token)
    return _token_answer(response, settings, session)


@router.post(
    "/logout",
    status_code=204,
    responses={403: {"description": "The cookie came without `X-Requested-With: bizmall`."}},
)
async def logout(
    response: Response,
    uow: UowDep,
    settings: SettingsDep,
    body: RefreshBody | None = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> None:
    """Revoke the session and clear the cookie."""
    token = _refresh_token(body, cookie, x_requested_with)
    if token is not None:
        await sessions.logout(uow=uow, token=token)
    response.delete_cookie(
        REFRESH_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        secure=settings.refresh_cookie_secure,
        samesite="strict",
    )


@router.post("/password-reset", status_code=202)
async def password_reset(
    body: EmailBody, uow: UowDep, event_box: EventBoxDep, settings: SettingsDep
) -> StatusAnswer:
    """Email a reset link if the address is a member's; always 202 (R10)."""
    await password_reset_handlers.request_password_reset(
        uow=uow, event_box=event_box, settings=settings, email=body.email
    )
    return _ACCEPTED


@router.post("/password-reset/confirm")
async def password_reset_confirm(
    body: ResetConfirmBody, uow: UowDep, passwords: PasswordsDep
) -> StatusAnswer:
    """Set a new password with the emailed token; every session is revoked."""
    await password_reset_handlers.confirm_password_reset(
        uow=uow, passwords=passwords, token=body.token, new_password=body.new_password
    )
    return StatusAnswer(status="password_changed")
