"""Which integration events the billing service consumes, and the handler of each."""

from servicekit.consumer import Subscriptions
from servicekit.runtime import Runtime


def subscriptions(runtime: Runtime) -> Subscriptions:
    """Event contract → handler; the worker binds the service's queue to exactly these."""
    return {}
