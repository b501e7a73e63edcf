"""RFC 9457 problem details: the one shape of every error a bizmall app answers.

A problem has a stable machine-readable ``code`` (``order.quantity_over_limit``)
that clients and tests branch on, and a human ``detail`` in Japanese (the
default) or English, chosen by the request's ``Accept-Language``. Routes raise
:class:`Problem`, domain and service-layer code raise
:class:`servicekit.errors.DomainError`; :func:`install_problem_handlers` turns
both, FastAPI's validation errors, Starlette's HTTP errors and any unexpected exception into
``application/problem+json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from servicekit import errors
from servicekit.responses import json_bytes

Language = Literal["ja", "en"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Every problem ``type`` is this prefix plus its code, so a type never changes.
PROBLEM_TYPE_PREFIX = "urn:bizmall:problem:"

_log = logging.getLogger("servicekit.problems")


class Problem(Exception):
    """An error answered as problem details.

    ``code`` is stable and machine-readable; ``ja`` and ``en`` are the human
    detail in each language. ``errors`` lists field-level errors
    (``{"field", "code", "message"}``; an item may carry ``ja``/``en`` instead
    of ``message`` and gets the chosen language). ``headers`` are added to the
    response (``WWW-Authenticate``, ``Retry-After``) and ``extra`` members are
    merged into the body.
    """

    def __init__(
        self,
        status: int,
        code: str,
        *,
        ja: str,
        en: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status = status
        self.code = code
        self.ja = ja
        self.en = en
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    def detail(self, language: Language) -> str:
        """The human detail in ``language``."""
        return self.ja if language == "ja" else self.en


def pick_language(accept_language: str | None) -> Language:
    """Choose Japanese or English from an ``Accept-Language`` header.

    The highest q-value among ``ja*`` and ``en*`` ranges wins (``en-US`` counts
    as English); ties go to the earlier range; anything else, ``*`` or no
    header means Japanese.
    """
    if not accept_language:
        return "ja"
    best: Language = "ja"
    best_q = 0.0
    for item in accept_language.split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in ("ja", "en"):
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = ("ja" if primary == "ja" else "en"), q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def problem_response(problem: Problem, accept_language: str | None) -> Response:
    """Render ``problem`` as an ``application/problem+json`` response."""
    language = pick_language(accept_language)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + problem.code,
        "title": _title(problem.status),
        "status": problem.status,
        "code": problem.code,
        "detail": problem.detail(language),
    }
    if problem.errors is not None:
        body["errors"] = [_localised(error, language) for error in problem.errors]
    body.update(problem.extra)
    headers = {"Content-Language": language, "Vary": "Accept-Language", **problem.headers}
    return Response(
        content=json_bytes(body),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _localised(error: Mapping[str, Any], language: Language) -> dict[str, Any]:
    out = {k: v for k, v in error.items() if k not in ("ja", "en")}
    if "message" not in out:
        message = error.get(language) or error.get("en") or error.get("ja")
        if message is not None:
            out["message"] = message
    return out


# --- validation errors ------------------------------------------------------

#: Japanese messages per pydantic error type; ``{name}`` fields come from the
#: error's ``ctx``. Types not listed get the generic message.
_JA_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "必須項目です。",
    "extra_forbidden": "この項目は指定できません。",
    "json_invalid": "JSON として解釈できません。",
    "json_type": "JSON の形式が正しくありません。",
    "model_attributes_type": "オブジェクト（JSON の {{}} 形式）で指定してください。",
    "dict_type": "オブジェクト（JSON の {{}} 形式）で指定してください。",
    "list_type": "配列で指定してください。",
    "string_type": "文字列で指定してください。",
    "string_too_short": "{min_length} 文字以上で指定してください。",
    "string_too_long": "{max_length} 文字以内で指定してください。",
    "string_pattern_mismatch": "形式が正しくありません。",
    "int_type": "整数で指定してください。",
    "int_parsing": "整数で指定してください。",
    "int_from_float": "整数で指定してください。",
    "float_type": "数値で指定してください。",
    "float_parsing": "数値で指定してください。",
    "bool_type": "true または false で指定してください。",
    "bool_parsing": "true または false で指定してください。",
    "greater_than": "{gt} より大きい値を指定してください。",
    "greater_than_equal": "{ge} 以上の値を指定してください。",
    "less_than": "{lt} より小さい値を指定してください。",
    "less_than_equal": "{le} 以下の値を指定してください。",
    "multiple_of": "{multiple_of} の倍数を指定してください。",
    "too_short": "{min_length} 件以上指定してください。",
    "too_long": "{max_length} 件以内で指定してください。",
    "literal_error": "{expected} のいずれかを指定してください。",
    "enum": "{expected} のいずれかを指定してください。",
    "date_type": "日付（YYYY-MM-DD）で指定してください。",
    "date_parsing": "日付（YYYY-MM-DD）で指定してください。",
    "date_from_datetime_parsing": "日付（YYYY-MM-DD）で指定してください。",
    "datetime_type": "日時（ISO 8601）で指定してください。",
    "datetime_parsing": "日時（ISO 8601）で指定してください。",
    "datetime_from_date_parsing": "日時（ISO 8601）で指定してください。",
    "timezone_aware": "タイムゾーン付きの日時で指定してください。",
    "uuid_type": "UUID で指定してください。",
    "uuid_parsing": "UUID で指定してください。",
    "url_parsing": "URL の形式が正しくありません。",
    "url_scheme": "URL の形式が正しくありません。",
    "value_error": "値が正しくありません。",
    "assertion_error": "値が正しくありません。",
}
_JA_GENERIC_VALIDATION_MESSAGE = "値が正しくありません。"


def _ja_validation_message(error_type: str, ctx: Mapping[str, Any] | None) -> str:
    template = _JA_VALIDATION_MESSAGES.get(error_type, _JA_GENERIC_VALIDATION_MESSAGE)
    try:
        return template.format(**(ctx or {}))
    except (KeyError, IndexError, ValueError):
        return _JA_GENERIC_VALIDATION_MESSAGE


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> Problem:
    """The 422 ``request.invalid`` problem naming every bad field of ``errors``.

    ``errors`` are pydantic/FastAPI error dicts (``loc``, ``type``, ``msg``,
    ``ctx``). The submitted value is never echoed: it may be a password.
    """
    items = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "code": error.get("type", "invalid"),
            "ja": _ja_validation_message(error.get("type", ""), error.get("ctx")),
            "en": error.get("msg", "Invalid value"),
        }
        for error in errors
    ]
    return Problem(
        422,
        "request.invalid",
        ja="入力内容に誤りがあります。",
        en="The request has invalid fields.",
        errors=items,
    )


def _malformed_body_problem(error: Mapping[str, Any]) -> Problem:
    # FastAPI reports unparsable JSON as one error with loc ("body", offset).
    return Problem(
        400,
        "request.malformed_json",
        ja="リクエスト本文を JSON として解釈できません。",
        en="The request body is not valid JSON.",
        errors=[
            {
                "field": "body",
                "code": "json_invalid",
                "ja": _JA_VALIDATION_MESSAGES["json_invalid"],
                "en": str((error.get("ctx") or {}).get("error", error.get("msg", "Invalid JSON"))),
            }
        ],
    )


# --- HTTP errors and the catch-all --------------------------------------------

_HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("http.bad_request", "リクエストが正しくありません。"),
    401: ("http.unauthorized", "認証が必要です。"),
    403: ("http.forbidden", "この操作は許可されていません。"),
    404: ("http.not_found", "指定されたリソースは見つかりません。"),
    405: ("http.method_not_allowed", "このメソッドは使用できません。"),
    406: ("http.not_acceptable", "指定された形式では応答できません。"),
    409: ("http.conflict", "リソースの状態と矛盾するため処理できません。"),
    413: ("http.payload_too_large", "リクエストが大きすぎます。"),
    415: ("http.unsupported_media_type", "このメディアタイプには対応していません。"),
    429: ("http.too_many_requests", "リクエストが多すぎます。しばらくしてから再度お試しください。"),
    503: ("http.service_unavailable", "ただいまサービスを利用できません。"),
}


def http_problem(
    status: int, detail: Any = None, headers: Mapping[str, str] | None = None
) -> Problem:
    """The problem for a plain HTTP error (router 404/405, ``HTTPException``)."""
    code, ja = _HTTP_PROBLEMS.get(status, (f"http.{status}", "リクエストを処理できません。"))
    en = detail if isinstance(detail, str) and detail else _title(status)
    return Problem(status, code, ja=ja, en=en, headers=dict(headers or {}))


def invalid_cursor() -> Problem:
    """The 422 of a pagination cursor the service did not hand out."""
    return Problem(422, "request.invalid_cursor", ja="カーソルが不正です。", en="Invalid cursor.")


@contextmanager
def refusing_invalid_cursors(error: type[Exception] = ValueError) -> Iterator[None]:
    """Answer :func:`invalid_cursor` when the listing inside refuses its cursor.

    Listings raise ``error`` (``ValueError`` unless the service has its own
    exception) for a cursor they cannot read; the client gets the 422, not a 500.
    """
    try:
        yield
    except error:
        raise invalid_cursor() from None


INTERNAL_PROBLEM = Problem(
    500,
    "internal",
    ja="サーバー内部でエラーが発生しました。時間をおいて再度お試しください。",
    en="An internal error occurred. Please try again later.",
)


DEPENDENCY_PROBLEM = Problem(
    503,
    "service.unavailable",
    ja="一時的にご利用いただけません。しばらくしてから再度お試しください。",
    en="The service is temporarily unavailable. Please try again shortly.",
    headers={"Retry-After": "5"},
)


def is_dependency_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a database, broker or cache being unreachable.

    Such a failure is the server's dependency being away, not a bug: it is
    answered 503 with ``Retry-After`` so clients retry instead of giving up.
    """
    import redis.exceptions
    import sqlalchemy.exc

    outage_types: tuple[type[BaseException], ...] = (
        ConnectionError,
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlalchemy.exc.TimeoutError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )
    outage_types += (
        asyncpg.TooManyConnectionsError,
        asyncpg.CannotConnectNowError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.InterfaceError,
    )
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, outage_types):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


UNSTORABLE_VALUE_PROBLEM = Problem(
    422,
    "request.unstorable_value",
    ja="送信された値は受け付けられません（使用できない文字、範囲外の数値、必須項目の欠落など）。",
    en="A value sent cannot be accepted (a character that cannot be stored, a number out of "
    "range, or a required value missing).",
)


def is_unstorable_value(exc: BaseException) -> bool:
    """Whether the database refused a value the client sent (NUL in text, an integer
    out of range, a required column left empty): the client's input, not a bug to hide
    behind a 500."""
    refused = (asyncpg.DataError, asyncpg.NotNullViolationError)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, refused):
            return True
        current = current.__cause__ or current.__context__
    return False


def internal_error_response(
    request: Request | None = None, exc: BaseException | None = None
) -> Response:
    """The 500 ``internal`` problem (says nothing about what went wrong), or 503
    ``service.unavailable`` when ``exc`` is a dependency outage."""
    accept_language = request.headers.get("accept-language") if request is not None else None
    if exc is not None and is_dependency_outage(exc):
        return problem_response(DEPENDENCY_PROBLEM, accept_language)
    if exc is not None and is_unstorable_value(exc):
        return problem_response(UNSTORABLE_VALUE_PROBLEM, accept_language)
    return problem_response(INTERNAL_PROBLEM, accept_language)


_DOMAIN_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Forbidden, 403),
    (errors.Unauthenticated, 401),
    (errors.TooManyAttempts, 429),
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedContent, 415),
    (errors.Unavailable, 503),
    (errors.Invalid, 422),
)


def problem_of_domain_error(exc: errors.DomainError) -> Problem:
    """The problem answering a domain error: its kind gives the status, it gives the rest."""
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 422)
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Problem(
        status,
        exc.code,
        ja=exc.ja,
        en=exc.en,
        errors=exc.errors,
        headers=headers or None,
        extra=exc.extra or None,
    )


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    return problem_response(problem_of_domain_error(exc), request.headers.get("accept-language"))


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.headers.get("accept-language"))


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    problem = _malformed_body_problem(malformed) if malformed else validation_problem(errors)
    return problem_response(problem, request.headers.get("accept-language"))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    problem = http_problem(exc.status_code, exc.detail, exc.headers)
    return problem_response(problem, request.headers.get("accept-language"))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    _log.error("unhandled exception in %s %s", request.method, request.url.path, exc_info=exc)
    return internal_error_response(request, exc)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem details.

    :class:`Problem` → its own response; a :class:`servicekit.errors.DomainError` →
    the problem of its kind (:func:`problem_of_domain_error`); validation errors → 422
    ``request.invalid`` naming each field; unparsable JSON → 400
    ``request.malformed_json``; HTTP errors (unknown path, wrong method) →
    ``http.*`` problems; anything else → a logged 500 ``internal`` that reveals
    nothing. (:class:`servicekit.web.RequestContextMiddleware` answers the
    same 500 itself so the response still carries the request id; the handler
    here covers apps without it.)
    """
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(errors.DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
