"""Billing accounts (R21): opened from identity's verified member, kept current from its
profile changes, and the account-transfer application and its decision by ops.

Bank details are sealed with ``BILLING_BANK_DETAILS_KEY`` before they are stored
and are never logged; only the bank and branch codes and the last three digits
of the account number stay readable.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import account_transfer, billing_account
from billing.domain.account_transfer import (
    BankDetails,
    TransferNotPending,
    decide,
    expected_completion,
)
from bizmall_events import AccountTransferDecided, Envelope, MemberProfileChanged, MemberVerified
from servicekit.clock import japan_today
from servicekit.crypto import SecretBox
from servicekit.problems import Problem
from servicekit.uow import UnitOfWork


async def on_member_changed(
    event: MemberVerified | MemberProfileChanged, *, uow: UnitOfWork, envelope: Envelope
) -> None:
    """Open the member's account (invoice payment) or refresh its recipient copy; an
    event older than the copy is ignored (SPEC §1)."""
    profile = event.profile
    now = envelope.occurred_at
    recipient = {
        "member_version": event.aggregate_version,
        "entity_type": profile.entity_type,
        "name": profile.name,
        "organization_name": profile.organization_name,
        "department": profile.department,
        "postal_code": profile.postal_code,
        "address": profile.address,
        "updated_at": now,
    }
    statement = insert(billing_account).values(
        id=uuid.uuid4(),
        member_id=event.member_id,
        payment_method="invoice",
        consolidated_mailing=False,
        version=1,
        created_at=now,
        **recipient,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[billing_account.c.member_id],
        set_={**recipient, "version": billing_account.c.version + 1},
        where=billing_account.c.member_version < event.aggregate_version,
    )
    await uow.session.execute(statement)


def account_not_found() -> Problem:
    """The 404 of a member without a billing account (not verified yet)."""
    return Problem(
        404,
        "billing.account_not_found",
        ja="請求アカウントがまだありません。会員登録の完了後にご利用いただけます。",
        en="There is no billing account yet; it opens once registration is complete.",
    )


async def get_account(*, session: Any, member_id: uuid.UUID) -> dict[str, Any] | None:
    """The member's account with its latest transfer application (or None)."""
    row = (
        (
            await session.execute(
                sa.select(billing_account).where(billing_account.c.member_id == member_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    latest = (
        (
            await session.execute(
                sa.select(account_transfer)
                .where(account_transfer.c.account_id == row["id"])
                .order_by(account_transfer.c.applied_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return {**row, "account_transfer": dict(latest) if latest else None}


async def apply_for_account_transfer(
    *,
    uow: UnitOfWork,
    member_id: uuid.UUID,
    details: BankDetails,
    box: SecretBox,
    now: datetime,
    lead_days: int,
) -> dict[str, Any]:
    """Record an application (state ``applied``); invoices stay on invoice payment until
    ops complete it (R21)."""
    account = (
        (
            await uow.session.execute(
                sa.select(billing_account)
                .where(billing_account.c.member_id == member_id)
                .with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if account is None:
        raise account_not_found()
    if account["payment_method"] == "account_transfer":
        raise Problem(
            409,
            "billing.account_transfer_active",
            ja="すでに口座振替をご利用中です。口座の変更はお問い合わせください。",
            en="Account transfer is already in use; contact us to change the bank account.",
        )
    pending = await uow.session.scalar(
        sa.select(account_transfer.c.id).where(
            account_transfer.c.account_id == account["id"],
            account_transfer.c.status == "applied",
        )
    )
    if pending is not None:
        raise Problem(
            409,
            "billing.account_transfer_pending",
            ja="口座振替のお申し込みは手続き中です。",
            en="An account-transfer application is already being processed.",
        )
    sealed = box.seal(
        json.dumps(
            {
                "account_number": details.account_number,
                "holder_name_kana": details.holder_name_kana,
            },
            ensure_ascii=False,
        )
    )
    row = {
        "id": uuid.uuid4(),
        "account_id": account["id"],
        "status": "applied",
        "bank_code": details.bank_code,
        "branch_code": details.branch_code,
        "account_type": details.account_type,
        "masked_number": details.masked_number,
        "sealed_details": sealed,
        "applied_at": now,
        "expected_completion_date": expected_completion(japan_today(now), lead_days),
    }
    await uow.session.execute(sa.insert(account_transfer).values(**row))
    await uow.commit()
    return row


def transfer_not_found() -> Problem:
    return Problem(
        404,
        "billing.account_transfer_not_found",
        ja="口座振替の申込みが見つかりません。",
        en="No such account-transfer application.",
    )


def _encode_transfer_cursor(applied_at: datetime, transfer_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{applied_at.isoformat()}|{transfer_id}".encode()).decode()


def _decode_transfer_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        moment, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        applied_at = datetime.fromisoformat(moment)
        if applied_at.tzinfo is None:
            raise ValueError("a cursor's time carries its offset")
        return applied_at, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


async def list_account_transfers(
    *, session: Any, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Transfer applications (in one state when given) with their member, oldest first —
    the order ops work through the applied ones; ``ValueError`` for a foreign cursor."""
    query = sa.select(account_transfer, billing_account.c.member_id).join(
        billing_account, billing_account.c.id == account_transfer.c.account_id
    )
    if status is not None:
        query = query.where(account_transfer.c.status == status)
    if cursor:
        applied_at, ident = _decode_transfer_cursor(cursor)
        query = query.where(
            sa.tuple_(account_transfer.c.applied_at, account_transfer.c.id) > (applied_at, ident)
        )
    query = query.order_by(account_transfer.c.applied_at, account_transfer.c.id).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_transfer_cursor(rows[-1]["applied_at"], rows[-1]["id"])
    return rows, next_cursor


async def decide_account_transfer(
    *,
    uow: UnitOfWork,
    transfer_id: uuid.UUID,
    decision: Literal["completed", "rejected"],
    reason: str | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Ops complete or reject an application (audited, R29); a completed one puts the
    account on account transfer. Publishes ``billing.account_transfer.decided``."""
    found = (
        (
            await uow.session.execute(
                sa.select(account_transfer, billing_account.c.member_id, billing_account.c.version)
                .join(billing_account, billing_account.c.id == account_transfer.c.account_id)
                .where(account_transfer.c.id == transfer_id)
                .with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise transfer_not_found()
    if decision == "rejected" and not reason:
        raise Problem(
            422,
            "billing.reason_required",
            ja="却下の理由を入力してください。",
            en="A rejection needs the reason shown to the member.",
        )
    try:
        status = decide(found["status"], decision)
    except TransferNotPending:
        raise Problem(
            409,
            "billing.account_transfer_decided",
            ja="この申込みはすでに処理済みです。",
            en="This application has already been decided.",
        ) from None
    await uow.session.execute(
        sa.update(account_transfer)
        .where(account_transfer.c.id == transfer_id)
        .values(status=status, decided_at=now, decided_by=actor, reason=reason)
    )
    values: dict[str, Any] = {"version": found["version"] + 1, "updated_at": now}
    if status == "completed":
        values["payment_method"] = "account_transfer"
    account = (
        (
            await uow.session.execute(
                sa.update(billing_account)
                .where(billing_account.c.id == found["account_id"])
                .values(**values)
                .returning(billing_account)
            )
        )
        .mappings()
        .one()
    )
    uow.audit(
        actor=actor,
        action=f"billing.account_transfer.{status}",
        target=str(transfer_id),
        member_id=str(found["member_id"]),
        reason=reason,
    )
    uow.publish(
        AccountTransferDecided(
            billing_account_id=account["id"],
            aggregate_version=account["version"],
            member_id=account["member_id"],
            decision=decision,
            reason=reason,
            payment_method=account["payment_method"],
        )
    )
    await uow.commit()
    return {**found, "status": status, "decided_at": now, "decided_by": actor, "reason": reason}


async def set_consolidated_mailing(
    *, uow: UnitOfWork, member_id: uuid.UUID, enabled: bool, actor: str, now: datetime
) -> dict[str, Any]:
    """Ops mark (or unmark) an account for consolidated mailing (R22); audited."""
    account = (
        (
            await uow.session.execute(
                sa.update(billing_account)
                .where(billing_account.c.member_id == member_id)
                .values(
                    consolidated_mailing=enabled,
                    version=billing_account.c.version + 1,
                    updated_at=now,
                )
                .returning(billing_account)
            )
        )
        .mappings()
        .first()
    )
    if account is None:
        raise account_not_found()
    uow.audit(
        actor=actor,
        action="billing.account.consolidated_mailing",
        target=str(account["id"]),
        member_id=str(member_id),
        enabled=enabled,
    )
    await uow.commit()
    return dict(account)
