"""/api/v1/auth: registration, verification, login, sessions, password reset.

The refresh token is set as an ``HttpOnly; Secure; SameSite=Strict`` cookie
scoped to ``/api/v1/auth``. Only API clients also get it in the body: a request
a browser sent (it carries ``Sec-Fetch-Mode``, which every supported browser adds
and no script can remove, R3), one carrying ``X-Requested-With: bizmall`` (the web
client) and a refresh that used the cookie get it in the cookie alone, where no
script can read it (issue 19 item 5). A refresh or logout that relies on the cookie
must carry ``X-Requested-With: bizmall``, which a cross-site form cannot send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Request, Response

from identity.api.deps import (
    ChallengesDep,
    ClientIpDep,
    CooldownDep,
    EventBoxDep,
    FloorDep,
    KeysDep,
    LoginsDep,
    PasswordsDep,
    RotationsDep,
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


def _cookie_client(request: Request) -> bool:
    """Whether the caller keeps its refresh token in the cookie: a browser, or the web
    client saying so (see the module docs)."""
    headers = request.headers
    return "sec-fetch-mode" in headers or headers.get("x-requested-with") == CSRF_HEADER_VALUE


def _token_answer(
    response: Response, settings: Settings, session: sessions.Session, *, cookie_client: bool
) -> TokenAnswer:
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
    answer = TokenAnswer.of(session)
    return answer.model_copy(update={"refresh_token": None}) if cookie_client else answer


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


@router.post(
    "/verify-email/resend",
    status_code=202,
    responses={
        429: {
            "description": (
                "A link went to this address less than the cooldown ago, or too many today"
                " (`auth.resend_too_soon`, `retry_after` seconds and `Retry-After`); counted"
                " for any address, member's or not."
            )
        }
    },
)
async def resend_verification(
    body: EmailBody,
    uow: UowDep,
    event_box: EventBoxDep,
    settings: SettingsDep,
    floor: FloorDep,
    cooldown: CooldownDep,
) -> StatusAnswer:
    """A new verification link for an unverified account (R6), from the verify page or
    after the login refusal `auth.email_unverified`; earlier links stop working. 202
    whether or not the address is an unverified member's (R10); one link per address
    per cooldown and a few a day, else 429 for any address alike."""
    await registration.resend_verification(
        uow=uow,
        event_box=event_box,
        settings=settings,
        floor=floor,
        cooldown=cooldown,
        email=body.email,
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
    request: Request,
    response: Response,
    uow: UowDep,
    logins: LoginsDep,
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
        logins=logins,
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
        return _token_answer(response, settings, result, cookie_client=_cookie_client(request))
    return OpsChallengeAnswer.of(result)


@router.post(
    "/login/totp",
    response_model_exclude_none=True,
    responses={
        401: {"description": "Wrong or expired code, or a challenge ended (`auth.totp_invalid`)."},
        429: {"description": "Too many wrong codes for the operator (`auth.too_many_attempts`)."},
    },
)
async def login_totp(
    body: TotpBody,
    request: Request,
    response: Response,
    uow: UowDep,
    challenges: ChallengesDep,
    throttle: ThrottleDep,
    keys: KeysDep,
    secret_box: SecretBoxDep,
    settings: SettingsDep,
) -> TokenAnswer:
    """Complete an operator's login with the TOTP code (a few codes per challenge)."""
    session = await sessions.login_totp(
        uow=uow,
        challenges=challenges,
        throttle=throttle,
        keys=keys,
        secret_box=secret_box,
        settings=settings,
        challenge=body.challenge_token,
        code=body.code,
    )
    return _token_answer(response, settings, session, cookie_client=_cookie_client(request))


@router.post(
    "/refresh",
    response_model_exclude_none=True,
    responses={
        401: {"description": "No session, or a refresh token revoked, expired or reused."},
        403: {"description": "The cookie came without `X-Requested-With: bizmall`."},
    },
)
async def refresh(
    request: Request,
    response: Response,
    uow: UowDep,
    keys: KeysDep,
    settings: SettingsDep,
    rotations: RotationsDep,
    body: RefreshBody | None = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> TokenAnswer:
    """Rotate the refresh token; a reused token revokes its session family, except the
    same token again within a few seconds (two tabs), which gets the same new pair."""
    token = _refresh_token(body, cookie, x_requested_with)
    if token is None:
        raise no_session()
    session = await sessions.refresh(
        uow=uow, keys=keys, settings=settings, rotations=rotations, token=token
    )
    used_cookie = not (body is not None and body.refresh_token)
    return _token_answer(
        response, settings, session, cookie_client=used_cookie or _cookie_client(request)
    )


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
    body: EmailBody, uow: UowDep, event_box: EventBoxDep, settings: SettingsDep, floor: FloorDep
) -> StatusAnswer:
    """Email a reset link if the address is a member's; always 202, in the same time (R10)."""
    await password_reset_handlers.request_password_reset(
        uow=uow, event_box=event_box, settings=settings, floor=floor, email=body.email
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
