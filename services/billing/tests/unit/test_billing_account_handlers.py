"""Billing accounts on the fake unit of work (R21, R22): opening on invoice payment, the
recipient copy, the account-transfer application and ops' decision, consolidated
mailing."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from billing.domain.account_transfer import BankDetails
from billing.domain.errors import (
    AccountNotFound,
    AccountTransferActive,
    AccountTransferPending,
    ReasonRequired,
    TransferNotFound,
    TransferNotPending,
)
from billing.service_layer import accounts
from bizmall_events import AccountTransferDecided
from servicekit.crypto import SecretBox

from .conftest import SETTINGS, Desk

BOX = SecretBox(SETTINGS.bank_details_key)
DETAILS = BankDetails(
    bank_code="0005",
    branch_code="123",
    account_type="ordinary",
    account_number="7654321",
    holder_name_kana="ヤマダ タロウ",
)


async def apply(desk: Desk, member: uuid.UUID) -> uuid.UUID:
    async with desk.uow:
        transfer = await accounts.apply_for_account_transfer(
            uow=desk.uow, member_id=member, details=DETAILS, box=BOX, lead_days=61
        )
    return transfer.id


async def decide(
    desk: Desk, transfer_id: uuid.UUID, decision: str, reason: str | None = None
) -> None:
    async with desk.uow:
        await accounts.decide_account_transfer(
            uow=desk.uow,
            transfer_id=transfer_id,
            decision=decision,  # type: ignore[arg-type]
            reason=reason,
            actor="ops-7",
        )


async def account_of(desk: Desk, member: uuid.UUID) -> accounts.AccountWithTransfer:
    async with desk.uow:
        return await accounts.get_account(uow=desk.uow, member_id=member)


async def test_r21_a_verified_member_opens_an_account_on_invoice_payment(desk: Desk) -> None:
    member = await desk.member()
    found = await account_of(desk, member)
    assert found.account.payment_method == "invoice"
    assert found.account.consolidated_mailing is False
    assert found.account_transfer is None


async def test_r21_a_newer_profile_refreshes_the_recipient_copy(desk: Desk) -> None:
    member = await desk.member(version=2)
    await desk.member(member, version=3, organization_name="新商号株式会社")
    account = (await account_of(desk, member)).account
    assert account.recipient.organization_name == "新商号株式会社"
    assert (account.member_version, account.version) == (3, 2)


async def test_r21_an_older_profile_never_overwrites_a_newer_copy(desk: Desk) -> None:
    member = await desk.member(version=5, organization_name="新商号株式会社")
    await desk.member(member, version=4, organization_name="旧商号株式会社")
    account = (await account_of(desk, member)).account
    assert account.recipient.organization_name == "新商号株式会社"
    assert account.member_version == 5


async def test_r21_a_member_without_an_account_is_answered_404(desk: Desk) -> None:
    with pytest.raises(AccountNotFound) as refused:
        await account_of(desk, uuid.uuid4())
    assert refused.value.code == "billing.account_not_found"


async def test_r21_an_application_waits_about_two_months_and_keeps_only_the_last_digits(
    desk: Desk,
) -> None:
    member = await desk.member()
    desk.at(date(2026, 4, 1))
    await apply(desk, member)
    found = await account_of(desk, member)
    transfer = found.account_transfer
    assert transfer is not None
    assert (transfer.status, transfer.masked_number) == ("applied", "****321")
    assert transfer.expected_completion_date == date(2026, 6, 1)
    assert "7654321" not in transfer.sealed_details
    assert "7654321" in BOX.open(transfer.sealed_details)
    assert found.account.payment_method == "invoice"


async def test_r21_an_application_while_one_is_pending_is_refused(desk: Desk) -> None:
    member = await desk.member()
    await apply(desk, member)
    with pytest.raises(AccountTransferPending):
        await apply(desk, member)
    assert len(desk.uow.accounts.transfers) == 1


async def test_r21_an_application_once_transfer_is_active_is_refused(desk: Desk) -> None:
    member = await desk.member()
    await decide(desk, await apply(desk, member), "completed")
    with pytest.raises(AccountTransferActive) as refused:
        await apply(desk, member)
    assert refused.value.code == "billing.account_transfer_active"


async def test_r21_completing_puts_the_account_on_transfer_recorded_and_audited(
    desk: Desk,
) -> None:
    member = await desk.member()
    transfer_id = await apply(desk, member)
    await decide(desk, transfer_id, "completed")
    found = await account_of(desk, member)
    assert found.account.payment_method == "account_transfer"
    assert found.account_transfer is not None
    assert (found.account_transfer.status, found.account_transfer.decided_by) == (
        "completed",
        "ops-7",
    )
    (event,) = desk.uow.events_of(AccountTransferDecided)
    assert (event.decision, event.payment_method, event.member_id) == (
        "completed",
        "account_transfer",
        member,
    )
    assert event.aggregate_version == found.account.version
    (entry,) = desk.uow.audited("billing.account_transfer.completed")
    assert entry.target == str(transfer_id) and entry.member_id == member


async def test_r21_a_rejection_tells_why_and_stays_on_invoice_payment(desk: Desk) -> None:
    member = await desk.member()
    await decide(desk, await apply(desk, member), "rejected", "口座名義が一致しません")
    found = await account_of(desk, member)
    assert found.account.payment_method == "invoice"
    (event,) = desk.uow.events_of(AccountTransferDecided)
    assert (event.decision, event.reason, event.payment_method) == (
        "rejected",
        "口座名義が一致しません",
        "invoice",
    )
    assert desk.uow.audited("billing.account_transfer.rejected")


async def test_r21_a_rejection_without_a_reason_is_refused(desk: Desk) -> None:
    member = await desk.member()
    transfer_id = await apply(desk, member)
    with pytest.raises(ReasonRequired):
        await decide(desk, transfer_id, "rejected")
    assert desk.uow.accounts.transfers[transfer_id].status == "applied"
    assert desk.uow.events_of(AccountTransferDecided) == []


async def test_r21_an_application_is_decided_once(desk: Desk) -> None:
    member = await desk.member()
    transfer_id = await apply(desk, member)
    await decide(desk, transfer_id, "completed")
    with pytest.raises(TransferNotPending) as refused:
        await decide(desk, transfer_id, "rejected", "late")
    assert refused.value.code == "billing.account_transfer_decided"
    assert len(desk.uow.events_of(AccountTransferDecided)) == 1


async def test_r21_deciding_an_unknown_application_is_answered_404(desk: Desk) -> None:
    with pytest.raises(TransferNotFound):
        await decide(desk, uuid.uuid4(), "completed")


async def test_r21_a_completed_transfer_debits_invoices_on_the_transfer_day(desk: Desk) -> None:
    member = await desk.member()
    await decide(desk, await apply(desk, member), "completed")
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=date(2026, 5, 15))
    (invoice,) = desk.invoices_of(member)
    assert (invoice.payment_method, invoice.due_date) == ("account_transfer", date(2026, 5, 27))


async def test_r21_an_application_not_completed_yet_keeps_invoice_payment(desk: Desk) -> None:
    member = await desk.member()
    await apply(desk, member)
    await desk.contract(member, start=date(2026, 4, 1))
    await desk.run("2026-04", on=date(2026, 5, 15))
    (invoice,) = desk.invoices_of(member)
    assert invoice.payment_method == "invoice"


async def test_r21_a_service_without_account_transfer_stays_on_invoice_payment(
    desk: Desk,
) -> None:
    member = await desk.member()
    await decide(desk, await apply(desk, member), "completed")
    await desk.contract(member, start=date(2026, 4, 1), service="光回線")
    await desk.contract(
        member, start=date(2026, 4, 1), service="特別サービス", allows_account_transfer=False
    )
    await desk.run("2026-04", on=date(2026, 5, 15))
    methods = {i.service_id: i.payment_method for i in desk.invoices_of(member)}
    assert methods == {
        desk.services["光回線"]: "account_transfer",
        desk.services["特別サービス"]: "invoice",
    }


async def test_r22_ops_mark_consolidated_mailing_audited(desk: Desk) -> None:
    member = await desk.member()
    async with desk.uow:
        found = await accounts.set_consolidated_mailing(
            uow=desk.uow, member_id=member, enabled=True, actor="ops-7"
        )
    assert found.account.consolidated_mailing is True
    assert (await account_of(desk, member)).account.consolidated_mailing is True
    (entry,) = desk.uow.audited("billing.account.consolidated_mailing")
    assert (entry.member_id, entry.details) == (member, {"enabled": True})


async def test_r22_consolidated_mailing_of_an_unknown_member_is_refused(desk: Desk) -> None:
    with pytest.raises(AccountNotFound):
        async with desk.uow:
            await accounts.set_consolidated_mailing(
                uow=desk.uow, member_id=uuid.uuid4(), enabled=True, actor="ops-7"
            )
    assert desk.uow.audited("billing.account.consolidated_mailing") == []
