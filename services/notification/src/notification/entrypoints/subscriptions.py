"""Which integration events the notification service consumes, and the handler of each."""

import uuid
from functools import partial
from typing import cast

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    ContractCancelled,
    DocumentReviewed,
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
from notification.adapters.billing_client import BillingClient
from notification.config import Settings
from notification.service_layer import event_handlers as h
from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime


class _Billing:
    """Billing's invoice PDFs (R41), its client made from the runtime's settings when first
    needed (reading the contracts alone needs no runtime)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._client: BillingClient | None = None

    async def invoice_pdf(self, invoice_id: uuid.UUID) -> bytes:
        if self._client is None:
            self._client = BillingClient.of(cast(Settings, self._runtime.settings))
        return await self._client.invoice_pdf(invoice_id)


def subscriptions(runtime: Runtime) -> Subscriptions:
    """Event contract → handler; the worker binds the service's queue to exactly these."""
    # Invoice emails of a withdrawn member carry the PDF, fetched from billing (R41).
    billing = _Billing(runtime)
    return {
        MemberRegistered: h.on_member_registered,
        MemberVerified: h.on_member_changed,
        MemberProfileChanged: h.on_member_changed,
        MemberEmailChangeRequested: h.on_email_change_requested,
        PasswordResetRequested: h.on_password_reset_requested,
        RegistrationAttemptedExisting: h.on_registration_attempted_existing,
        DocumentReviewed: h.on_document_reviewed,
        WithdrawalDecided: h.on_withdrawal_decided,
        OrderPlaced: h.on_order_placed,
        OrderAccepted: h.on_order_accepted,
        OrderOnHold: h.on_order_on_hold,
        OrderRejected: h.on_order_rejected,
        ActivationNoticeDue: h.on_activation_notice_due,
        ContractCancelled: h.on_contract_cancelled,
        InvoiceIssued: partial(h.on_invoice_issued, billing=billing),
        InvoiceOverdue: partial(h.on_invoice_overdue, billing=billing),
        InvoiceDebitFailed: partial(h.on_invoice_debit_failed, billing=billing),
        AccountTransferDecided: h.on_account_transfer_decided,
    }
