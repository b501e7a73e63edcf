"""/api/v1/auth: registration, verification, login, sessions, password reset.

The refresh token is set as an ``HttpOnly; Secure; SameSite=Strict`` cookie
scoped to ``/api/v1/auth`` (the web client) and also returned in the body for
API clients. A refresh or logout that relies on the cookie must carry
``X-Requested-With: bizmall``, which a cross-site form cannot send.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Request, Response
from fastapi.responses import JSONResponse

from identity.api.schemas import (
    EmailBody,
    LoginBody,
    RefreshBody,
    RegistrationBody,
    ResetConfirmBody,
    TokenAnswer,
    TokenBody,
    TotpBody,
)
from identity.service_layer import accounts
from identity.service_layer.context import IdentityContext
from servicekit.problems import Problem

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

REFRESH_COOKIE = "bizmall_refresh"
COOKIE_PATH = "/api/v1/auth"
CSRF_HEADER_VALUE = "bizmall"

_ACCEPTED = {"status": "accepted"}


def _ctx(request: Request) -> IdentityContext:
    return IdentityContext.of(request.app.state.runtime)


def _token_answer(ctx: IdentityContext, session: accounts.Session) -> JSONResponse:
    body = TokenAnswer(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
    )
    response = JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})
    response.set_cookie(
        REFRESH_COOKIE,
        session.refresh_token,
        max_age=ctx.settings.refresh_token_ttl_seconds,
        path=COOKIE_PATH,
        httponly=True,
        secure=ctx.settings.refresh_cookie_secure,
        samesite="strict",
    )
    return response


def _refresh_token(body: RefreshBody | None, cookie: str | None, csrf: str | None) -> str | None:
    if body is not None and body.refresh_token:
        return body.refresh_token
    if cookie:
        if csrf != CSRF_HEADER_VALUE:
            raise Problem(
                403,
                "auth.csrf_header_missing",
                ja="必要なヘッダー X-Requested-With がありません。",
                en="The X-Requested-With: bizmall header is required with the cookie.",
            )
        return cookie
    return None


@router.post("/register", status_code=202)
async def register(body: RegistrationBody, request: Request) -> dict[str, str]:
    """Register (R5); always 202, whether or not the email is already a member (R10)."""
    await accounts.register(_ctx(request), fields=body.member_fields(), password=body.password)
    return _ACCEPTED


@router.post("/verify-email")
async def verify_email(body: TokenBody, request: Request) -> dict[str, str]:
    """Complete registration with the emailed token (R6)."""
    await accounts.verify_email(_ctx(request), token=body.token)
    return {"status": "verified"}


@router.post("/verify-email/resend", status_code=202)
async def resend_verification(body: EmailBody, request: Request) -> dict[str, str]:
    """A new verification link for an unverified account; always 202."""
    await accounts.resend_verification(_ctx(request), email=body.email)
    return _ACCEPTED


@router.post(
    "/login",
    response_model=None,
    responses={
        401: {"description": "Wrong login ID or password (`auth.invalid_credentials`)."},
        403: {"description": "Email not verified yet, or the account is withdrawn."},
        429: {"description": "Too many failed logins for the account (`auth.too_many_attempts`)."},
    },
)
async def login(body: LoginBody, request: Request) -> JSONResponse | dict[str, Any]:
    """A session for a member; for an operator a TOTP challenge (R29)."""
    ctx = _ctx(request)
    ip = request.client.host if request.client else "unknown"
    result = await accounts.login(ctx, login_id=body.login_id, password=body.password, ip=ip)
    if isinstance(result, accounts.Session):
        return _token_answer(ctx, result)
    return result


@router.post(
    "/login/totp",
    responses={401: {"description": "Wrong or expired code (`auth.totp_invalid`)."}},
)
async def login_totp(body: TotpBody, request: Request) -> JSONResponse:
    """Complete an operator's login with the TOTP code."""
    ctx = _ctx(request)
    session = await accounts.login_totp(ctx, challenge=body.challenge_token, code=body.code)
    return _token_answer(ctx, session)


@router.post(
    "/refresh",
    responses={
        401: {"description": "No session, or a refresh token revoked, expired or reused."},
        403: {"description": "The cookie came without `X-Requested-With: bizmall`."},
    },
)
async def refresh(
    request: Request,
    body: RefreshBody | None = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Rotate the refresh token; a reused token revokes its session family."""
    ctx = _ctx(request)
    token = _refresh_token(body, cookie, x_requested_with)
    if token is None:
        raise Problem(401, "auth.session_invalid", ja="セッションがありません。", en="No session.")
    return _token_answer(ctx, await accounts.refresh(ctx, token=token))


@router.post(
    "/logout",
    status_code=204,
    responses={403: {"description": "The cookie came without `X-Requested-With: bizmall`."}},
)
async def logout(
    request: Request,
    body: RefreshBody | None = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> Response:
    """Revoke the session and clear the cookie."""
    token = _refresh_token(body, cookie, x_requested_with)
    if token is not None:
        await accounts.logout(_ctx(request), token=token)
    response = Response(status_code=204)
    response.delete_cookie(
        REFRESH_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        secure=_ctx(request).settings.refresh_cookie_secure,
        samesite="strict",
    )
    return response


@router.post("/password-reset", status_code=202)
async def password_reset(body: EmailBody, request: Request) -> dict[str, str]:
    """Email a reset link if the address is a member's; always 202 (R10)."""
    await accounts.request_password_reset(_ctx(request), email=body.email)
    return _ACCEPTED


@router.post("/password-reset/confirm")
async def password_reset_confirm(body: ResetConfirmBody, request: Request) -> dict[str, str]:
    """Set a new password with the emailed token; every session is revoked."""
    await accounts.confirm_password_reset(
        _ctx(request), token=body.token, new_password=body.new_password
    )
    return {"status": "password_changed"}
