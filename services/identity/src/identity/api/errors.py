"""Identity's domain errors that read differently from their kind's default problem.

Every other domain error is answered by servicekit (its kind gives the status).
Link-token refusals and a wrong current password are 400 ``Bad Request`` (the
request names something that cannot be used), not 422; a login lockout's body
also names ``retry_after``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from identity.domain.errors import (
    LinkTokenRefused,
    LoginLocked,
    ResendTooSoon,
    WrongCurrentPassword,
)
from servicekit.errors import DomainError
from servicekit.problems import Problem, problem_of_domain_error, problem_response

_BAD_REQUEST: tuple[type[DomainError], ...] = (LinkTokenRefused, WrongCurrentPassword)


def problem_of(exc: DomainError) -> Problem:
    """The problem answering one of identity's domain errors."""
    problem = problem_of_domain_error(exc)
    if isinstance(exc, _BAD_REQUEST):
        problem.status = 400
    if isinstance(exc, LoginLocked | ResendTooSoon):
        problem.extra = {**problem.extra, "retry_after": exc.retry_after}
    return problem


async def _on_identity_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(problem_of(exc), request.headers.get("accept-language"))


def install_error_handlers(app: FastAPI) -> None:
    """Answer the errors above with their own problems (more specific handlers win)."""
    for error in (*_BAD_REQUEST, LoginLocked, ResendTooSoon):
        app.add_exception_handler(error, _on_identity_error)


def csrf_header_missing() -> Problem:
    """A refresh or logout relying on the cookie came without ``X-Requested-With``."""
    return Problem(
        403,
        "auth.csrf_header_missing",
        ja="必要なヘッダー X-Requested-With がありません。",
        en="The X-Requested-With: bizmall header is required with the cookie.",
    )


def no_session() -> Problem:
    """A refresh with neither a body token nor the cookie."""
    return Problem(401, "auth.session_invalid", ja="セッションがありません。", en="No session.")
