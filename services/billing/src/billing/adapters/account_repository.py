"""Billing accounts and their account-transfer applications, read and written."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import account_transfer, billing_account, plain_uuid
from billing.domain.account import BillingAccount, Recipient
from billing.domain.account_transfer import AccountTransfer, TransferStatus
from billing.domain.member_name import MemberName
from billing.domain.reconciliation import payer_key
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

_RECIPIENT = ("entity_type", "name", "organization_name", "department", "postal_code", "address")
_TRANSFER_WITH_MEMBER = sa.select(account_transfer, billing_account.c.member_id).join(
    billing_account, billing_account.c.id == account_transfer.c.account_id
)


def _account(row: Mapping[str, Any]) -> BillingAccount:
    return BillingAccount(
        id=row["id"],
        member_id=row["member_id"],
        member_version=row["member_version"],
        recipient=Recipient(*(row[k] for k in _RECIPIENT)),
        payment_method=row["payment_method"],
        consolidated_mailing=row["consolidated_mailing"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        name_kana=row["name_kana"],
    )


def _account_row(account: BillingAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "member_id": account.member_id,
        "member_version": account.member_version,
        **account.recipient.as_dict(),
        "payment_method": account.payment_method,
        "consolidated_mailing": account.consolidated_mailing,
        "version": account.version,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
        **_kana(account.name_kana),
    }


def _kana(name_kana: str | None) -> dict[str, str | None]:
    """The name kana and the key payers are matched by (R36)."""
    return {"name_kana": name_kana, "payer_key": payer_key(name_kana) or None}


def _transfer(row: Mapping[str, Any]) -> AccountTransfer:
    return AccountTransfer(
        **{c.name: row[c.name] for c in account_transfer.c}, member_id=row["member_id"]
    )


def _transfer_row(transfer: AccountTransfer) -> dict[str, Any]:
    return {c.name: getattr(transfer, c.name) for c in account_transfer.c}


class AccountRepository(SqlRepository):
    """Accounts by member, and their applications (one open application at a time)."""

    async def get(self, member_id: uuid.UUID, *, for_update: bool = False) -> BillingAccount | None:
        """The member's account (locked for a change when ``for_update``)."""
        return await self._one(billing_account.c.member_id == member_id, for_update)

    async def get_by_id(
        self, account_id: uuid.UUID, *, for_update: bool = False
    ) -> BillingAccount | None:
        return await self._one(billing_account.c.id == account_id, for_update)

    async def _one(self, where: sa.ColumnElement[bool], for_update: bool) -> BillingAccount | None:
        query = sa.select(billing_account).where(where)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return self.track(_account(row)) if row is not None else None

    async def open_or_refresh(self, opened: BillingAccount) -> None:
        """Store a just-opened account, or give the stored one of the same member the
        newer recipient (an older copy never overwrites a newer one). One statement,
        so two events of one member at once cannot both open an account."""
        copied = {
            "member_version": opened.member_version,
            **opened.recipient.as_dict(),
            **_kana(opened.name_kana),
            "updated_at": opened.updated_at,
        }
        statement = insert(billing_account).values(**_account_row(opened))
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[billing_account.c.member_id],
                set_={**copied, "version": billing_account.c.version + 1},
                where=billing_account.c.member_version < opened.member_version,
            )
        )

    async def member_names(self, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, MemberName]:
        """The organization and person of each given member with an account (R30)."""
        rows = await self.session.execute(
            sa.select(
                billing_account.c.member_id,
                billing_account.c.organization_name,
                billing_account.c.name,
            ).where(billing_account.c.member_id.in_(list(member_ids)))
        )
        return {
            row.member_id: MemberName(organization_name=row.organization_name, name=row.name)
            for row in rows
        }

    async def save(self, account: BillingAccount) -> None:
        """Write the account's current state."""
        values = _account_row(account)
        del values["id"], values["created_at"]
        await self.session.execute(
            sa.update(billing_account).where(billing_account.c.id == account.id).values(**values)
        )

    async def latest_transfer(self, account_id: uuid.UUID) -> AccountTransfer | None:
        """The account's most recent application."""
        query = (
            _TRANSFER_WITH_MEMBER.where(account_transfer.c.account_id == account_id)
            .order_by(account_transfer.c.applied_at.desc())
            .limit(1)
        )
        row = (await self.session.execute(query)).mappings().first()
        return _transfer(row) if row is not None else None

    async def pending_transfer(self, account_id: uuid.UUID) -> AccountTransfer | None:
        """The account's application waiting for ops, if any."""
        query = _TRANSFER_WITH_MEMBER.where(
            account_transfer.c.account_id == account_id, account_transfer.c.status == "applied"
        )
        row = (await self.session.execute(query)).mappings().first()
        return _transfer(row) if row is not None else None

    async def transfer(
        self, transfer_id: uuid.UUID, *, for_update: bool = False
    ) -> AccountTransfer | None:
        """One application (with its account row locked too when ``for_update``)."""
        query = _TRANSFER_WITH_MEMBER.where(account_transfer.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _transfer(row) if row is not None else None

    async def add_transfer(self, transfer: AccountTransfer) -> None:
        await self.session.execute(sa.insert(account_transfer).values(**_transfer_row(transfer)))

    async def save_transfer(self, transfer: AccountTransfer) -> None:
        """Write the application's decision."""
        await self.session.execute(
            sa.update(account_transfer)
            .where(account_transfer.c.id == transfer.id)
            .values(
                status=transfer.status,
                decided_at=transfer.decided_at,
                decided_by=transfer.decided_by,
                reason=transfer.reason,
            )
        )

    async def transfers_page(
        self,
        *,
        status: TransferStatus | None,
        limit: int,
        cursor: str | None,
        member_id: uuid.UUID | None = None,
    ) -> Page[AccountTransfer]:
        """Applications (in one state and/or of one member when given), oldest first."""
        query = _TRANSFER_WITH_MEMBER
        if status is not None:
            query = query.where(account_transfer.c.status == status)
        if member_id is not None:
            query = query.where(billing_account.c.member_id == member_id)
        query = after_cursor(
            query, [account_transfer.c.applied_at, account_transfer.c.id], cursor
        ).limit(limit + 1)
        rows = [_transfer(r) for r in (await self.session.execute(query)).mappings()]
        return page_of(rows, limit=limit, key=lambda t: (t.applied_at, plain_uuid(t.id)))
