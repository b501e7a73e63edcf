"""Billing accounts (R21, R22): opened from identity's verified member, kept current from
its profile changes, the account-transfer application and its decision by ops, and
consolidated mailing.

Bank details are sealed with ``BILLING_BANK_DETAILS_KEY`` before they are stored
and are never logged; only the bank and branch codes and the last three digits
of the account number stay readable.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from billing.domain.account import BillingAccount, Recipient
from billing.domain.account_transfer import AccountTransfer, BankDetails, Decision, TransferStatus
from billing.domain.errors import AccountNotFound, TransferNotFound
from billing.service_layer.unit_of_work import BillingUnitOfWork
from bizmall_events import Envelope, MemberProfileChanged, MemberVerified
from servicekit.crypto import SecretBox
from servicekit.pagination import Page


@dataclass(frozen=True)
class AccountWithTransfer:
    """An account and its latest account-transfer application (None before the first)."""

    account: BillingAccount
    account_transfer: AccountTransfer | None


async def on_member_changed(
    event: MemberVerified | MemberProfileChanged, *, uow: BillingUnitOfWork, envelope: Envelope
) -> None:
    """Open the member's account (invoice payment) or refresh its recipient copy; an
    event older than the copy is ignored (SPEC §1)."""
    profile = event.profile
    opened = BillingAccount.open(
        member_id=event.member_id,
        member_version=event.aggregate_version,
        recipient=Recipient(
            entity_type=profile.entity_type,
            name=profile.name,
            organization_name=profile.organization_name,
            department=profile.department,
            postal_code=profile.postal_code,
            address=profile.address,
        ),
        now=envelope.occurred_at,
        name_kana=profile.name_kana,
    )
    await uow.accounts.open_or_refresh(opened)


async def get_account(*, uow: BillingUnitOfWork, member_id: uuid.UUID) -> AccountWithTransfer:
    """The member's account with its latest transfer application."""
    account = await uow.accounts.get(member_id)
    if account is None:
        raise AccountNotFound()
    return AccountWithTransfer(account, await uow.accounts.latest_transfer(account.id))


async def apply_for_account_transfer(
    *,
    uow: BillingUnitOfWork,
    member_id: uuid.UUID,
    details: BankDetails,
    box: SecretBox,
    lead_days: int,
) -> AccountTransfer:
    """Record an application (state ``applied``); invoices stay on invoice payment until
    ops complete it (R21)."""
    account = await uow.accounts.get(member_id, for_update=True)
    if account is None:
        raise AccountNotFound()
    sealed = box.seal(
        json.dumps(
            {
                "account_number": details.account_number,
                "holder_name_kana": details.holder_name_kana,
            },
            ensure_ascii=False,
        )
    )
    transfer = account.apply_for_account_transfer(
        details=details,
        sealed_details=sealed,
        pending=await uow.accounts.pending_transfer(account.id),
        now=uow.now(),
        lead_days=lead_days,
    )
    await uow.accounts.add_transfer(transfer)
    await uow.commit()
    return transfer


async def list_account_transfers(
    *,
    uow: BillingUnitOfWork,
    status: TransferStatus | None,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
) -> Page[AccountTransfer]:
    """Transfer applications (in one state and/or of one member when given) with their
    member, oldest first — the order ops work through the applied ones."""
    return await uow.accounts.transfers_page(
        status=status, limit=limit, cursor=cursor, member_id=member_id
    )


async def decide_account_transfer(
    *,
    uow: BillingUnitOfWork,
    transfer_id: uuid.UUID,
    decision: Decision,
    reason: str | None,
    actor: str,
) -> AccountTransfer:
    """Ops complete or reject an application (audited, R29); a completed one puts the
    account on account transfer. The account records ``billing.account_transfer.decided``."""
    transfer = await uow.accounts.transfer(transfer_id, for_update=True)
    if transfer is None:
        raise TransferNotFound()
    account = await uow.accounts.get_by_id(transfer.account_id, for_update=True)
    if account is None:
        raise TransferNotFound()
    account.decide_account_transfer(transfer, decision, reason=reason, actor=actor, now=uow.now())
    await uow.accounts.save_transfer(transfer)
    await uow.accounts.save(account)
    uow.audit(
        actor=actor,
        action=f"billing.account_transfer.{transfer.status}",
        target=str(transfer_id),
        member_id=str(account.member_id),
        reason=reason,
    )
    await uow.commit()
    return transfer


async def set_consolidated_mailing(
    *, uow: BillingUnitOfWork, member_id: uuid.UUID, enabled: bool, actor: str
) -> AccountWithTransfer:
    """Ops mark (or unmark) an account for consolidated mailing (R22); audited."""
    account = await uow.accounts.get(member_id, for_update=True)
    if account is None:
        raise AccountNotFound()
    account.set_consolidated_mailing(enabled, now=uow.now())
    await uow.accounts.save(account)
    uow.audit(
        actor=actor,
        action="billing.account.consolidated_mailing",
        target=str(account.id),
        member_id=str(member_id),
        enabled=enabled,
    )
    latest = await uow.accounts.latest_transfer(account.id)
    await uow.commit()
    return AccountWithTransfer(account, latest)
