"""Problems of the billing routes that no domain rule raises: what ``PATCH /account``
answers for a payment method it does not set itself (R21). Domain errors
(``billing.domain.errors``) are answered by servicekit."""

from __future__ import annotations

from servicekit.problems import Problem

_TWO_METHODS_JA = (
    "お支払方法は「請求書払い（invoice）」と「口座振替（account_transfer）」の2種類です。"
)
_TWO_METHODS_EN = "The payment methods are invoice payment (invoice) and account transfer "
_TWO_METHODS_EN += "(account_transfer)."
_METHODS = {"payment_methods": ["invoice", "account_transfer"]}


def card_refused() -> Problem:
    """Credit cards are not accepted (R21)."""
    return Problem(
        422,
        "billing.credit_card_not_accepted",
        ja="クレジットカードはご利用いただけません。"
        + _TWO_METHODS_JA
        + "口座振替は POST /api/v1/billing/account-transfer からお申し込みください。",
        en="Credit cards are not accepted. "
        + _TWO_METHODS_EN
        + " Apply for account transfer with POST /api/v1/billing/account-transfer.",
        extra=_METHODS,
    )


def apply_for_account_transfer() -> Problem:
    """Account transfer is applied for, not switched to."""
    return Problem(
        409,
        "billing.apply_for_account_transfer",
        ja="口座振替は POST /api/v1/billing/account-transfer でお申し込みください"
        "（手続き完了まで約2か月かかります）。",
        en="Apply for account transfer with POST /api/v1/billing/account-transfer "
        "(it takes about two months to complete).",
    )


def stop_transfer_by_inquiry() -> Problem:
    """Account transfer is stopped by an inquiry, not switched off."""
    return Problem(
        409,
        "billing.stop_transfer_by_inquiry",
        ja="口座振替の停止はお問い合わせフォーム（請求）からご連絡ください。",
        en="To stop account transfer, send a billing inquiry.",
    )


def unknown_payment_method() -> Problem:
    return Problem(
        422,
        "billing.unknown_payment_method",
        ja="指定されたお支払方法はご利用いただけません。" + _TWO_METHODS_JA,
        en="That payment method is not available. " + _TWO_METHODS_EN,
        extra=_METHODS,
    )


def export_month_required() -> Problem:
    """The accounting export is one month's invoices (R38): ``month`` names it."""
    return Problem(
        422,
        "billing.export_month_required",
        ja="会計用CSVの出力には対象月（month=YYYY-MM）を指定してください。",
        en="The accounting export needs the month: month=YYYY-MM.",
    )
