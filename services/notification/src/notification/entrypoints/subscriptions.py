"""Which integration events the notification service consumes, and the handler of each."""

from bizmall_events import (
    AccountTransferDecided,
    ActivationNoticeDue,
    ContractCancelled,
    DocumentReviewed,
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
from notification.service_layer import event_handlers as h
from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime


def subscriptions(runtime: Runtime) -> Subscriptions:
    """Event contract → handler; the worker binds the service's queue to exactly these."""
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
        InvoiceIssued: h.on_invoice_issued,
        InvoiceOverdue: h.on_invoice_overdue,
        AccountTransferDecided: h.on_account_transfer_decided,
    }
