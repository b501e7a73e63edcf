"""The problems the gateway itself answers (RFC 9457, stable codes)."""

from __future__ import annotations

from gateway.maintenance import MaintenanceWindow
from servicekit.problems import Problem


def not_routed() -> Problem:
    """404: the gateway exposes no such path (``/internal/...`` included)."""
    return Problem(
        404,
        "http.not_found",
        ja="指定されたリソースは見つかりません。",
        en="Not Found",
    )


def body_too_large(limit: int) -> Problem:
    """413: the request body is over the gateway's limit."""
    mib = limit / (1024 * 1024)
    return Problem(
        413,
        "request.too_large",
        ja=f"リクエストの本文が大きすぎます（上限 {mib:g} MiB）。",
        en=f"The request body is too large (limit {mib:g} MiB).",
        extra={"max_bytes": limit},
    )


def request_timeout() -> Problem:
    """408: the client stopped sending the request body it announced."""
    return Problem(
        408,
        "request.timeout",
        ja="リクエストの本文の受信が途中で止まりました。もう一度お試しください。",
        en="The request body stopped arriving. Please try again.",
    )


def bad_content_length() -> Problem:
    """400: a Content-Length that is not a non-negative integer."""
    return Problem(
        400,
        "request.bad_content_length",
        ja="Content-Length ヘッダーが正しくありません。",
        en="The Content-Length header is invalid.",
    )


def token_missing() -> Problem:
    """401: the route needs a bearer token and none came (same code as the services')."""
    return Problem(
        401,
        "auth.required",
        ja="ログインが必要です。",
        en="Authentication is required.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def ops_only() -> Problem:
    """403: an operator route called without the ``ops`` role (same code as the services')."""
    return Problem(
        403,
        "auth.ops_only",
        ja="この操作は運営担当者のみ行えます。",
        en="Only operators may do this.",
    )


def rate_limited(retry_after: int) -> Problem:
    """429: too many requests of one kind from one caller."""
    return Problem(
        429,
        "gateway.rate_limited",
        ja="リクエストが多すぎます。しばらくしてから再度お試しください。",
        en="Too many requests. Please try again later.",
        headers={"Retry-After": str(retry_after)},
        extra={"retry_after": retry_after},
    )


def rate_limiter_unavailable() -> Problem:
    """503: a strictly limited route while the limit cannot be counted."""
    return Problem(
        503,
        "gateway.rate_limiter_unavailable",
        ja="ただいまこの操作を受け付けられません。しばらくしてから再度お試しください。",
        en="This operation is unavailable right now. Please try again shortly.",
        headers={"Retry-After": "5"},
    )


def under_maintenance(window: MaintenanceWindow, retry_after: int) -> Problem:
    """503: the service's writes are held by a maintenance window (R1)."""
    return Problem(
        503,
        "gateway.maintenance",
        ja=window.message_ja or "メンテナンス中のため、この操作は現在ご利用いただけません。",
        en=window.message_en or "This operation is unavailable during maintenance.",
        headers={"Retry-After": str(retry_after)},
        extra={
            "notice_id": window.notice_id,
            "ends_at": window.ends_at.isoformat(),
            "retry_after": retry_after,
        },
    )


def upstream_unavailable(service: str) -> Problem:
    """503: no address of the service accepted a connection."""
    return Problem(
        503,
        "gateway.upstream_unavailable",
        ja="ただいまサービスを利用できません。しばらくしてから再度お試しください。",
        en="The service is unavailable right now. Please try again shortly.",
        headers={"Retry-After": "5"},
        extra={"service": service},
    )


def upstream_timeout(service: str) -> Problem:
    """504: the service did not answer in time."""
    return Problem(
        504,
        "gateway.upstream_timeout",
        ja="サービスの応答がタイムアウトしました。しばらくしてから再度お試しください。",
        en="The service did not answer in time. Please try again shortly.",
        extra={"service": service},
    )


def upstream_broken(service: str) -> Problem:
    """502: the connection to the service broke before an answer."""
    return Problem(
        502,
        "gateway.upstream_error",
        ja="サービスとの通信に失敗しました。しばらくしてから再度お試しください。",
        en="The connection to the service failed. Please try again shortly.",
        extra={"service": service},
    )
