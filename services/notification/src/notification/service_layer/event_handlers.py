"""What notification does with each event it consumes (SPEC §5): keep the member
copy current, and record the email the event calls for (R16, R27).

Every handler runs in the consumer's inbox transaction. It renders nothing: it
records a pending delivery with the template's data (tokens still sealed) and
the sender mails it after commit. An email for a member whose copy has not
arrived yet raises ``RetryLater``: the event waits and is not dropped.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    ContractCancelled,
    DocumentReviewed,
    Envelope,
    InvoiceDebitFailed,
    InvoiceIssued,
    InvoiceOverdue,
    MemberEmailChangeRequested,
    MemberProfileChanged,
    MemberRegistered,
    MemberVerified,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
    PasswordResetRequested,
    RegistrationAttemptedExisting,
    WithdrawalDecided,
)
from notification.domain.contacts import MemberContact
from notification.domain.delivery import Attachment
from notification.domain.emails import SEALED_TOKEN_KEY, inquiry_form_path
from notification.service_layer.deliveries import record_delivery
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit.consumer import RetryLater


class InvoicePdfSource(Protocol):
    """Billing's rendering of an invoice as PDF (``adapters.billing_client.BillingClient``);
    raises when it cannot give the PDF now (the event is then retried)."""

    async def invoice_pdf(self, invoice_id: uuid.UUID) -> bytes: ...


async def _contact_of(uow: NotificationUnitOfWork, member_id: Any) -> MemberContact:
    """The member's contact; ``RetryLater`` while identity's events have not brought it yet
    (the email waits for it instead of being dropped)."""
    contact = await uow.contacts.get(member_id)
    if contact is None:
        raise RetryLater(f"no contact copy of member {member_id} yet")
    return contact


async def _save_contact(
    uow: NotificationUnitOfWork,
    *,
    member_id: Any,
    email: str,
    language: str,
    name: str,
    status: str,
    version: int,
    organization_name: str | None = None,
) -> None:
    """Keep the copy at ``version`` unless it is already as new (a late event is dropped)."""
    await uow.contacts.save_if_newer(
        MemberContact(
            member_id=member_id,
            email=email,
            language=language,
            name=name,
            status=status,
            version=version,
            updated_at=uow.now(),
            organization_name=organization_name,
        )
    )


async def _email_member(
    uow: NotificationUnitOfWork,
    envelope: Envelope,
    template: str,
    member_id: Any,
    data: dict[str, Any],
) -> None:
    contact = await _contact_of(uow, member_id)
    await record_delivery(
        uow=uow,
        event_id=envelope.id,
        event_type=envelope.type,
        template=template,
        member_id=member_id,
        recipient=contact.email,
        language=contact.language,
        payload={"name": contact.name, **data},
    )


# --- identity -------------------------------------------------------------------------


async def on_member_registered(
    event: MemberRegistered, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Start the member's copy and send the verification link (R6). A re-sent link comes
    as the same version with a new token: the copy stays, the email still goes."""
    await _save_contact(
        uow,
        member_id=event.member_id,
        email=event.contact_email,
        language=event.language,
        name=event.name,
        status="pending_verification",
        version=event.aggregate_version,
    )
    await record_delivery(
        uow=uow,
        event_id=envelope.id,
        event_type=envelope.type,
        template="verification",
        member_id=event.member_id,
        recipient=event.contact_email,
        language=event.language,
        payload={
            "name": event.name,
            "token_expires_at": event.token_expires_at.isoformat(),
            SEALED_TOKEN_KEY: event.sealed_verification_token,
        },
    )


async def on_member_changed(
    event: MemberVerified | MemberProfileChanged, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Keep the copy current (R9: a confirmed new contact email is used from now on)."""
    profile = event.profile
    await _save_contact(
        uow,
        member_id=event.member_id,
        email=profile.contact_email,
        language=profile.language,
        name=profile.name,
        status=profile.status,
        version=event.aggregate_version,
        organization_name=profile.organization_name,
    )


async def on_email_change_requested(
    event: MemberEmailChangeRequested, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the confirmation link to the NEW address (R9) in the member's language."""
    contact = await _contact_of(uow, event.member_id)
    await record_delivery(
        uow=uow,
        event_id=envelope.id,
        event_type=envelope.type,
        template="email_change_confirmation",
        member_id=event.member_id,
        recipient=event.new_email,
        language=contact.language,
        payload={
            "name": contact.name,
            "new_email": event.new_email,
            "token_expires_at": event.token_expires_at.isoformat(),
            SEALED_TOKEN_KEY: event.sealed_confirmation_token,
        },
    )


async def on_password_reset_requested(
    event: PasswordResetRequested, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the one-time reset link (R10) to the member's contact email."""
    await _email_member(
        uow,
        envelope,
        "password_reset",
        event.member_id,
        {
            "token_expires_at": event.token_expires_at.isoformat(),
            SEALED_TOKEN_KEY: event.sealed_reset_token,
        },
    )


async def on_registration_attempted_existing(
    event: RegistrationAttemptedExisting, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member someone tried to register with their address (the sign-up
    answer never reveals it)."""
    await _email_member(
        uow,
        envelope,
        "registration_attempt_existing",
        event.member_id,
        {"attempted_at": event.attempted_at.isoformat()},
    )


async def on_document_reviewed(
    event: DocumentReviewed, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the document review result (R12); a rejection says why and how to resubmit."""
    await _email_member(
        uow,
        envelope,
        "document_reviewed",
        event.member_id,
        {"decision": event.decision, "reason": event.reason},
    )


async def on_withdrawal_decided(
    event: WithdrawalDecided, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the withdrawal result (R11), naming what blocks a refused request."""
    await _email_member(
        uow,
        envelope,
        "withdrawal_decided",
        event.member_id,
        {
            "decision": event.decision,
            "reason": event.reason,
            "blocking_items": [item.model_dump(mode="json") for item in event.blocking_items],
        },
    )
    if event.decision == "withdrawn":
        # Identity's member event says so too; whichever comes first, invoices still
        # issued for the member's continuing contracts carry their PDF from now on (R41).
        await uow.contacts.mark_withdrawn(event.member_id)


# --- ordering -------------------------------------------------------------------------


async def _remember_order(
    uow: NotificationUnitOfWork, *, order_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Keep who placed the order: an inquiry about it must come from them (R19, R26)."""
    await uow.orders.remember(order_id=order_id, member_id=member_id, at=uow.now())


def _order_data(event: OrderPlaced | OrderAccepted | OrderOnHold | OrderRejected) -> dict[str, Any]:
    return {
        "order_id": str(event.order_id),
        "service_name": event.service_name.model_dump(),
        "plan_name": event.plan_name.model_dump(),
        "quantity": event.quantity,
        "planned_start_date": event.planned_start_date.isoformat(),
        "inquiry_path": inquiry_form_path(str(event.order_id)),
    }


async def on_order_placed(
    event: OrderPlaced, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the order confirmation (R16) with the order-bound inquiry link (R19)."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    await _email_member(
        uow,
        envelope,
        "order_confirmation",
        event.member_id,
        {
            **_order_data(event),
            "status": event.status,
            "monthly_fee": event.monthly_fee,
            "initial_fee": event.initial_fee,
            "inquiry_reference": event.inquiry_reference,
            "placed_at": event.placed_at.isoformat(),
        },
    )


async def on_order_accepted(
    event: OrderAccepted, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member ops accepted the order."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    await _email_member(uow, envelope, "order_accepted", event.member_id, _order_data(event))


async def on_order_on_hold(
    event: OrderOnHold, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member the order waits for them, and why (R17)."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    data = {**_order_data(event), "reason": event.reason}
    await _email_member(uow, envelope, "order_on_hold", event.member_id, data)


async def on_order_rejected(
    event: OrderRejected, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member the order was rejected, and why (R12, R17)."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    data = {**_order_data(event), "reason": event.reason}
    await _email_member(uow, envelope, "order_rejected", event.member_id, data)


async def on_activation_notice_due(
    event: ActivationNoticeDue, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Send the activation notice (開通のお知らせ, R18) — on this event only."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    await _email_member(
        uow,
        envelope,
        "activation_notice",
        event.member_id,
        {
            "order_id": str(event.order_id),
            "service_name": event.service_name.model_dump(),
            "plan_name": event.plan_name.model_dump(),
            "quantity": event.quantity,
            "planned_start_date": event.planned_start_date.isoformat(),
            "on_activation": event.timing.kind == "on_activation",
            "inquiry_path": inquiry_form_path(str(event.order_id)),
        },
    )


async def on_contract_cancelled(
    event: ContractCancelled, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member their contract ends, on which day and for what fee (R32), whether
    they cancelled on the site (R20) or ops ended it for the contact center. Ops's reason is
    their record, not the member's email."""
    await _remember_order(uow, order_id=event.order_id, member_id=event.member_id)
    await _email_member(
        uow,
        envelope,
        "contract_cancelled",
        event.member_id,
        {
            "contract_id": str(event.contract_id),
            "order_id": str(event.order_id),
            "service_name": event.service_name.model_dump(),
            "plan_name": event.plan_name.model_dump(),
            "quantity": event.quantity,
            "end_date": event.end_date.isoformat(),
            "early_termination_fee": event.early_termination_fee,
            "cancelled_by": event.cancelled_by,
            "inquiry_path": inquiry_form_path(str(event.order_id)),
        },
    )


# --- billing --------------------------------------------------------------------------


def _invoice_data(event: InvoiceIssued | InvoiceOverdue | InvoiceDebitFailed) -> dict[str, Any]:
    return {
        "invoice_id": str(event.invoice_id),
        "invoice_number": event.invoice_number,
        "service_name": event.service_name.model_dump(),
        "usage_period_start": event.usage_period_start.isoformat(),
        "usage_period_end": event.usage_period_end.isoformat(),
        "due_date": event.due_date.isoformat(),
        "total": event.total,
        "payment_method": event.payment_method,
    }


async def _email_invoice(
    uow: NotificationUnitOfWork,
    envelope: Envelope,
    template: str,
    event: InvoiceIssued | InvoiceOverdue | InvoiceDebitFailed,
    data: dict[str, Any],
    billing: InvoicePdfSource,
) -> None:
    """An invoice email; a withdrawn member, who cannot log in to the link, gets the PDF
    attached (R41). The PDF is fetched from billing now: when that fails the handler
    raises and the consumer retries the event, so such an email never goes without it."""
    contact = await _contact_of(uow, event.member_id)
    attachments: tuple[Attachment, ...] = ()
    if contact.withdrawn:
        pdf = await billing.invoice_pdf(event.invoice_id)
        attachments = (
            Attachment(
                filename=f"invoice-{event.invoice_number}.pdf",
                content_type="application/pdf",
                content=pdf,
            ),
        )
    await record_delivery(
        uow=uow,
        event_id=envelope.id,
        event_type=envelope.type,
        template=template,
        member_id=event.member_id,
        recipient=contact.email,
        language=contact.language,
        payload={"name": contact.name, **data, "pdf_attached": bool(attachments)},
        attachments=attachments,
    )


async def on_invoice_issued(
    event: InvoiceIssued,
    *,
    uow: NotificationUnitOfWork,
    envelope: Envelope,
    billing: InvoicePdfSource,
) -> None:
    """Tell the member an invoice was issued (R23), or a corrected one (R24); with the PDF
    attached for a withdrawn member (R41)."""
    data = {
        **_invoice_data(event),
        "issue_date": event.issue_date.isoformat(),
        "corrects_invoice": event.corrects_invoice_id is not None,
    }
    await _email_invoice(uow, envelope, "invoice_issued", event, data, billing)


async def on_invoice_overdue(
    event: InvoiceOverdue,
    *,
    uow: NotificationUnitOfWork,
    envelope: Envelope,
    billing: InvoicePdfSource,
) -> None:
    """Remind the member of an unpaid invoice past its due date (R24); with the PDF
    attached for a withdrawn member (R41)."""
    data = {**_invoice_data(event), "amount_due": event.amount_due}
    await _email_invoice(uow, envelope, "invoice_overdue", event, data, billing)


async def on_invoice_debit_failed(
    event: InvoiceDebitFailed,
    *,
    uow: NotificationUnitOfWork,
    envelope: Envelope,
    billing: InvoicePdfSource,
) -> None:
    """Tell the member the account-transfer debit failed and why, and that the invoice
    is now paid by bank transfer by its new due date into the payee account (R35)."""
    data = {
        **_invoice_data(event),
        "amount_due": event.amount_due,
        "result_code": event.result_code,
        "reason": event.reason.model_dump(),
        "collection_date": event.collection_date.isoformat(),
        "payee_bank_account": event.payee_bank_account,
    }
    await _email_invoice(uow, envelope, "invoice_debit_failed", event, data, billing)


async def on_account_transfer_decided(
    event: AccountTransferDecided, *, uow: NotificationUnitOfWork, envelope: Envelope
) -> None:
    """Tell the member the outcome of the account-transfer application (R21)."""
    await _email_member(
        uow,
        envelope,
        "account_transfer_decided",
        event.member_id,
        {"decision": event.decision, "reason": event.reason},
    )
