"""Identity's refusals, as domain errors (servicekit.errors kinds).

Each keeps the code and the Japanese and English texts clients have always been
answered with; the kind gives the HTTP status, except the link-token and
current-password refusals (400) and the login lockout (its body names
``retry_after``), which ``api/errors.py`` maps itself.
"""

from __future__ import annotations

from typing import Literal

from servicekit.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
    UnsupportedContent,
)

#: Where a member asks for a fresh verification link.
RESEND_PATH = "/api/v1/auth/verify-email/resend"

TokenState = Literal["invalid", "expired", "used"]

_TOKEN_TEXTS: dict[str, tuple[str, str]] = {
    "invalid": ("このリンクは無効です。", "This link is not valid."),
    "expired": ("このリンクは有効期限が切れています。", "This link has expired."),
    "used": ("このリンクは使用済みです。", "This link has already been used."),
}


class FieldsInvalid(Invalid):
    """422 naming each bad field (the same shape as the platform's validation errors)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(
            "request.invalid",
            ja="入力内容に誤りがあります。",
            en="The request has invalid fields.",
            errors=[{"field": f, "code": "value_error", "message": m} for f, m in errors],
        )


class LinkTokenRefused(Invalid):
    """A link token that is unknown, expired or already used (answered 400)."""

    def __init__(self, state: TokenState, *, resend_path: str | None = None) -> None:
        ja, en = _TOKEN_TEXTS[state]
        extra = {"resend": resend_path} if resend_path else {}
        if resend_path:
            ja += "新しいリンクを再送できます。"
            en += " You can ask for a new link."
        super().__init__(f"token.{state}", ja=ja, en=en, **extra)
        self.state = state


class InvalidCredentials(Unauthenticated):
    def __init__(self) -> None:
        super().__init__(
            "auth.invalid_credentials",
            ja="ログインIDまたはパスワードが正しくありません。",
            en="The login ID or password is incorrect.",
        )


class LoginLocked(TooManyAttempts):
    """Too many failed logins for the login ID or the address (the body names retry_after)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "auth.too_many_attempts",
            ja="ログインの試行回数が多すぎます。しばらくしてから再度お試しください。",
            en="Too many login attempts. Please try again later.",
            retry_after=retry_after,
        )


class ResendTooSoon(TooManyAttempts):
    """A verification link went to this address a moment ago (or too many today). The
    count is kept per address whether or not it is a member's, so this answer tells
    nothing about the address (R10); the body names ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "auth.resend_too_soon",
            ja="確認メールは送信済みです。しばらくしてから再送してください。",
            en="A verification email was sent recently. Please wait before asking again.",
            retry_after=retry_after,
        )


class EmailUnverified(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "auth.email_unverified",
            ja="メールアドレスの確認が完了していません。確認メールのリンクを開いてください。",
            en="Your email address is not verified yet. Please open the link in the email.",
            resend=RESEND_PATH,
        )


class AccountWithdrawn(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "auth.account_withdrawn",
            ja="このアカウントは退会済みのため利用できません。",
            en="This account has been withdrawn and cannot be used.",
        )


class SessionInvalid(Unauthenticated):
    """The refresh token or the account behind an access token is no longer good."""

    def __init__(self) -> None:
        super().__init__(
            "auth.session_invalid",
            ja="セッションが無効です。再度ログインしてください。",
            en="The session is no longer valid. Please log in again.",
        )


class RefreshTokenReused(SessionInvalid):
    """An already rotated refresh token came back: stolen or replayed."""


class TotpInvalid(Unauthenticated):
    def __init__(self) -> None:
        super().__init__(
            "auth.totp_invalid",
            ja="確認コードが正しくないか、有効期限が切れています。",
            en="The verification code is wrong or the challenge has expired.",
        )


class WrongCurrentPassword(Invalid):
    """The current password given to change it is wrong (answered 400)."""

    def __init__(self) -> None:
        super().__init__(
            "auth.current_password_wrong",
            ja="現在のパスワードが正しくありません。",
            en="The current password is incorrect.",
        )


class MemberNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("member.not_found", ja="会員が見つかりません。", en="Member not found.")


class OperatorNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "ops.operator_not_found", ja="運営担当者が見つかりません。", en="No such operator."
        )


class OwnSecondFactor(Forbidden):
    """An operator resets their own second factor through the ops route (R29)."""

    def __init__(self) -> None:
        super().__init__(
            "ops.own_second_factor",
            ja="自分の二要素認証はリセットできません。他の運営担当者に依頼してください。",
            en="You cannot reset your own second factor; ask another operator.",
        )


class DocumentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("document.not_found", ja="書類が見つかりません。", en="No such document.")


class DocumentTooLarge(PayloadTooLarge):
    def __init__(self) -> None:
        super().__init__(
            "document.too_large",
            ja="ファイルサイズは10MB以下にしてください。",
            en="The file must be at most 10 MB.",
        )


class UnsupportedDocumentType(UnsupportedContent):
    def __init__(self) -> None:
        super().__init__(
            "document.unsupported_type",
            ja="JPEG、PNG、PDFのファイルのみ受け付けます。",
            en="Only JPEG, PNG and PDF files are accepted.",
        )


class SoleProprietorsOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "document.sole_proprietor_only",
            ja="本人確認書類は個人事業主の会員のみ提出できます。",
            en="Only sole proprietors submit identity documents.",
        )


class RejectionReasonRequired(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "document.reason_required",
            ja="却下の理由を入力してください。",
            en="A rejection needs the reason shown to the member.",
            errors=[{"field": "body.reason", "code": "missing", "message": "required"}],
        )


class DocumentAlreadyReviewed(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "document.already_reviewed",
            ja="この書類は審査済みです。",
            en="This document has already been reviewed.",
        )


class TooManyPendingDocuments(Conflict):
    """A member already has the most documents the review queue takes from one member."""

    def __init__(self, max_pending: int) -> None:
        super().__init__(
            "document.too_many_pending",
            ja=f"審査待ちの書類が上限（{max_pending}件）に達しています。審査をお待ちください。",
            en=f"You already have {max_pending} documents waiting for review. Please wait.",
            max_pending=max_pending,
        )


class DocumentExpired(Conflict):
    """The file waited too long for review and was deleted; the member uploads again."""

    def __init__(self) -> None:
        super().__init__(
            "document.expired",
            ja="審査期限を過ぎたため、この書類のファイルは削除されました。",
            en="This document waited too long for review and its file was deleted.",
        )


class WithdrawalNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "withdrawal.not_found",
            ja="退会申請はありません。",
            en="There is no withdrawal request.",
        )


class WithdrawalNotPending(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "withdrawal.not_pending",
            ja="確認待ちの退会申請ではありません。",
            en="This withdrawal request is not awaiting confirmation.",
        )


class OrderingUnreachable(Unavailable):
    """Ordering cannot say now what blocks a withdrawal; ops try again later."""

    def __init__(self) -> None:
        super().__init__(
            "withdrawal.ordering_unavailable",
            ja="注文状況を確認できません。しばらくしてから再度お試しください。",
            en="The member's orders cannot be checked now. Please try again later.",
            retry_after=30,
        )


class WithdrawalBlocked(Conflict):
    """Ops confirm while orders or contracts still block the withdrawal (R33): the
    request stays pending; the answer names the blockers."""

    def __init__(self, blocking_items: list[dict[str, object]]) -> None:
        super().__init__(
            "withdrawal.blocked",
            ja="終了していない注文・契約があるため退会を確定できません。",
            en="Orders or contracts that have not ended block this withdrawal.",
            blocking_items=blocking_items,
        )
