"""``/api/v1/billing/account`` and ``/api/v1/billing/account-transfer``: the member's
payment method (R21). Credit cards are not accepted."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from billing.api import errors
from billing.api.deps import MemberIdDep, SettingsDep, UowDep
from billing.api.schemas import (
    AccountTransferBody,
    AccountTransferView,
    AccountView,
    PatchAccountBody,
)
from billing.domain.account_transfer import BankDetails
from billing.service_layer import accounts
from servicekit.crypto import SecretBox

router = APIRouter(prefix="/api/v1/billing", tags=["billing account"])

_CARD_HINTS = ("card", "cvc", "cvv", "security_code", "expiry", "expiration", "pan")


#: The account routes answer for the caller's own account, which an operator has none of.
_NO_ACCOUNT: dict[int | str, dict[str, Any]] = {
    404: {"description": "The caller has no billing account (an operator)."}
}


@router.get("/account", response_model=AccountView, responses=_NO_ACCOUNT)
async def get_account(member_id: MemberIdDep, uow: UowDep) -> AccountView:
    """The member's payment method and the state of an account-transfer application."""
    async with uow:
        found = await accounts.get_account(uow=uow, member_id=member_id)
    return AccountView.of(found)


@router.patch("/account", response_model=AccountView, responses=_NO_ACCOUNT)
async def patch_account(body: PatchAccountBody, member_id: MemberIdDep, uow: UowDep) -> AccountView:
    """Choose the payment method. Card data or ``credit_card`` is refused (422); account
    transfer is applied for with ``POST /billing/account-transfer`` instead."""
    extra = body.model_extra or {}
    if body.payment_method == "credit_card" or any(
        hint in key.lower() for key in extra for hint in _CARD_HINTS
    ):
        raise errors.card_refused()
    async with uow:
        found = await accounts.get_account(uow=uow, member_id=member_id)
    wanted = body.payment_method
    if wanted is None or wanted == found.account.payment_method:
        return AccountView.of(found)
    if wanted == "account_transfer":
        raise errors.apply_for_account_transfer()
    if wanted == "invoice":
        raise errors.stop_transfer_by_inquiry()
    raise errors.unknown_payment_method()


@router.post(
    "/account-transfer",
    response_model=AccountTransferView,
    status_code=201,
    responses=_NO_ACCOUNT,
)
async def apply_for_account_transfer(
    body: AccountTransferBody,
    member_id: MemberIdDep,
    uow: UowDep,
    settings: SettingsDep,
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
    async with uow:
        transfer = await accounts.apply_for_account_transfer(
            uow=uow,
            member_id=member_id,
            details=details,
            box=SecretBox(settings.bank_details_key),
            lead_days=settings.account_transfer_lead_days,
        )
    return AccountTransferView.of(transfer)
