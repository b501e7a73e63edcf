"""The emails notification sends (R27), and the links each one carries."""

from __future__ import annotations

from typing import Final

#: Every email template; each exists in Japanese and English.
TEMPLATES: Final = (
    "verification",
    "email_change_confirmation",
    "password_reset",
    "registration_attempt_existing",
    "document_reviewed",
    "order_confirmation",
    "order_accepted",
    "order_on_hold",
    "order_rejected",
    "activation_notice",
    "contract_cancelled",
    "invoice_issued",
    "invoice_overdue",
    "invoice_debit_failed",
    "account_transfer_decided",
    "inquiry_answer",
    "withdrawal_decided",
)

#: Payload key of a sealed one-time token; opened only when the email is rendered.
SEALED_TOKEN_KEY: Final = "sealed_token"

#: Payload key keeping the trace the delivery was recorded in (tracing on only), so the
#: SMTP send joins that trace; removed before rendering.
TRACE_KEY: Final = "_traceparent"

#: Web-client path of the page that takes each template's one-time token.
TOKEN_LINK_PATHS: Final = {
    "verification": "/verify-email",
    "email_change_confirmation": "/me/email/confirm",
    "password_reset": "/password-reset/confirm",
}


def inquiry_form_path(order_id: str) -> str:
    """The inquiry form bound to an order, as linked from its confirmation email (R19)."""
    return f"/inquiries/new?order_id={order_id}"
