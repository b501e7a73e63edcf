"""Which integration events the ordering service consumes, and the handler of each."""

from bizmall_events import (
    DocumentReviewed,
    MemberProfileChanged,
    MemberVerified,
    ServicePublished,
    ServiceRetired,
    ServiceUpdated,
    WithdrawalDecided,
)
from ordering.service_layer import local_copies
from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime


def subscriptions(runtime: Runtime) -> Subscriptions:
    """Event contract → handler; the worker binds the service's queue to exactly these."""
    return {
        ServicePublished: local_copies.on_service_changed,
        ServiceUpdated: local_copies.on_service_changed,
        ServiceRetired: local_copies.on_service_changed,
        MemberVerified: local_copies.on_member_changed,
        MemberProfileChanged: local_copies.on_member_changed,
        WithdrawalDecided: local_copies.on_withdrawal_decided,
        DocumentReviewed: local_copies.on_document_reviewed,
    }
