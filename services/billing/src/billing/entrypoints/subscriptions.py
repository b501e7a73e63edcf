"""Which integration events the billing service consumes, and the handler of each."""

from billing.service_layer import accounts, contracts
from bizmall_events import (
    ContractActivated,
    ContractCancelled,
    MemberProfileChanged,
    MemberVerified,
)
from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime


def subscriptions(runtime: Runtime) -> Subscriptions:
    """Event contract → handler; the worker binds the service's queue to exactly these.

    Catalog's service events are not consumed: the billing terms a contract needs
    (free first month, account transfer allowed) travel in the contract's own
    recorded terms (R28), which is what billing must apply anyway.
    """
    return {
        MemberVerified: accounts.on_member_changed,
        MemberProfileChanged: accounts.on_member_changed,
        ContractActivated: contracts.on_contract_activated,
        ContractCancelled: contracts.on_contract_cancelled,
    }
