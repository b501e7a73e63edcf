"""``/api/v1/billing/account`` and ``/api/v1/billing/account-transfer``: the member's
payment method (R21). Credit cards are not accepted."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from billing.api.deps import ClockDep, MemberIdDep, RuntimeDep, SettingsDep
from billing.api.schemas import (
    AccountTransferBody,
    AccountTransferView,
    AccountView,
    PatchAccountBody,
)
from billing.domain.account_transfer import BankDetails
from billing.service_layer import accounts
from servicekit.crypto import SecretBox
from servicekit.problems import Problem

router = APIRouter(prefix="/api/v1/billing", tags=["billing account"])

_TWO_METHODS_JA = (
    "お支払方法は「請求書払い（invoice）」と「口座振替（account_transfer）」の2種類です。"
)
_TWO_METHODS_EN = "The payment methods are invoice payment (invoice) and account transfer "
_TWO_METHODS_EN += "(account_transfer)."
_CARD_HINTS = ("card", "cvc", "cvv", "security_code", "expiry", "expiration", "pan")


def _card_refused() -> Problem:
    return Problem(
        422,
        "billing.credit_card_not_accepted",
        ja="クレジットカードはご利用いただけません。"
        + _TWO_METHODS_JA
        + "口座振替は POST /api/v1/billing/account-transfer からお申し込みください。",
        en="Credit cards are not accepted. "
        + _TWO_METHODS_EN
        + " Apply for account transfer with POST /api/v1/billing/account-transfer.",
        extra={"payment_methods": ["invoice", "account_transfer"]},
    )


#: The account routes answer for the caller's own account, which an operator has none of.
_NO_ACCOUNT: dict[int | str, dict[str, Any]] = {
    404: {"description": "The caller has no billing account (an operator)."}
}


@router.get("/account", response_model=AccountView, responses=_NO_ACCOUNT)
async def get_account(member_id: MemberIdDep, runtime: RuntimeDep) -> AccountView:
    """The member's payment method and the state of an account-transfer application."""
    async with runtime.sessions() as session:
        found = await accounts.get_account(session=session, member_id=member_id)
    if found is None:
        raise accounts.account_not_found()
    return AccountView.of(found)


@router.patch("/account", response_model=AccountView, responses=_NO_ACCOUNT)
async def patch_account(
    body: PatchAccountBody, member_id: MemberIdDep, runtime: RuntimeDep
) -> AccountView:
    """Choose the payment method. Card data or ``credit_card`` is refused (422); account
    transfer is applied for with ``POST /billing/account-transfer`` instead."""
    extra = body.model_extra or {}
    if body.payment_method == "credit_card" or any(
        hint in key.lower() for key in extra for hint in _CARD_HINTS
    ):
        raise _card_refused()
    async with runtime.sessions() as session:
        found = await accounts.get_account(session=session, member_id=member_id)
    if found is None:
        raise accounts.account_not_found()
    wanted = body.payment_method
    if wanted is None or wanted == found["payment_method"]:
        return AccountView.of(found)
    if wanted == "account_transfer":
        raise Problem(
            409,
            "billing.apply_for_account_transfer",
            ja="口座振替は POST /api/v1/billing/account-transfer でお申し込みください"
            "（手続き完了まで約2か月かかります）。",
            en="Apply for account transfer with POST /api/v1/billing/account-transfer "
            "(it takes about two months to complete).",
        )
    if wanted == "invoice":
        raise Problem(
            409,
            "billing.stop_transfer_by_inquiry",
            ja="口座振替の停止はお問い合わせフォーム（請求）からご連絡ください。",
            en="To stop account transfer, send a billing inquiry.",
        )
    raise Problem(
        422,
        "billing.unknown_payment_method",
        ja="指定されたお支払方法はご利用いただけません。" + _TWO_METHODS_JA,
        en="That payment method is not available. " + _TWO_METHODS_EN,
        extra={"payment_methods": ["invoice", "account_transfer"]},
    )


@router.post(
    "/account-transfer",
    response_model=AccountTransferView,
    status_code=201,
    responses=_NO_ACCOUNT,
)
async def apply_for_account_transfer(
    body: AccountTransferBody,
    member_id: MemberIdDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> AccountTransferView:
    """Apply for account transfer: ``applied`` until ops complete it (about two months);
    invoices stay on invoice payment meanwhile (R21)."""
    details = BankDetails(
        bank_code=body.bank_code,
        branch_code=body.branch_code,
        account_type=body.account_type,
        account_number=body.account_number,
        holder_name_kana=body.holder_name_kana,
    )
    async with runtime.uow() as uow:
        row = await accounts.apply_for_account_transfer(
            uow=uow,
            member_id=member_id,
            details=details,
            box=SecretBox(settings.bank_details_key),
            now=clock(),
            lead_days=settings.account_transfer_lead_days,
        )
    return AccountTransferView.of(row)
