"""The problems identity answers with, each with its stable code."""

from __future__ import annotations

from servicekit.problems import Problem

#: Where a member asks for a fresh verification link.
RESEND_PATH = "/api/v1/auth/verify-email/resend"


def field_invalid(errors: list[tuple[str, str]]) -> Problem:
    """422 naming each bad field (same shape as the platform's validation errors)."""
    return Problem(
        422,
        "request.invalid",
        ja="入力内容に誤りがあります。",
        en="The request has invalid fields.",
        errors=[{"field": f, "code": "value_error", "message": m} for f, m in errors],
    )


def token_problem(state: str, *, resend_path: str | None = None) -> Problem:
    """400 for a link token that is unknown, expired or already used."""
    texts = {
        "invalid": ("このリンクは無効です。", "This link is not valid."),
        "expired": ("このリンクは有効期限が切れています。", "This link has expired."),
        "used": ("このリンクは使用済みです。", "This link has already been used."),
    }
    ja, en = texts[state]
    extra = {"resend": resend_path} if resend_path else {}
    if resend_path:
        ja += "新しいリンクを再送できます。"
        en += " You can ask for a new link."
    return Problem(400, f"token.{state}", ja=ja, en=en, extra=extra)


def invalid_credentials() -> Problem:
    return Problem(
        401,
        "auth.invalid_credentials",
        ja="ログインIDまたはパスワードが正しくありません。",
        en="The login ID or password is incorrect.",
    )


def locked(retry_after: int) -> Problem:
    return Problem(
        429,
        "auth.too_many_attempts",
        ja="ログインの試行回数が多すぎます。しばらくしてから再度お試しください。",
        en="Too many login attempts. Please try again later.",
        headers={"Retry-After": str(retry_after)},
        extra={"retry_after": retry_after},
    )


def email_unverified() -> Problem:
    return Problem(
        403,
        "auth.email_unverified",
        ja="メールアドレスの確認が完了していません。確認メールのリンクを開いてください。",
        en="Your email address is not verified yet. Please open the link in the email.",
        extra={"resend": RESEND_PATH},
    )


def withdrawn() -> Problem:
    return Problem(
        403,
        "auth.account_withdrawn",
        ja="このアカウントは退会済みのため利用できません。",
        en="This account has been withdrawn and cannot be used.",
    )


def session_invalid() -> Problem:
    return Problem(
        401,
        "auth.session_invalid",
        ja="セッションが無効です。再度ログインしてください。",
        en="The session is no longer valid. Please log in again.",
    )


def totp_invalid() -> Problem:
    return Problem(
        401,
        "auth.totp_invalid",
        ja="確認コードが正しくないか、有効期限が切れています。",
        en="The verification code is wrong or the challenge has expired.",
    )


def wrong_current_password() -> Problem:
    return Problem(
        400,
        "auth.current_password_wrong",
        ja="現在のパスワードが正しくありません。",
        en="The current password is incorrect.",
    )


def member_not_found() -> Problem:
    return Problem(404, "member.not_found", ja="会員が見つかりません。", en="Member not found.")
