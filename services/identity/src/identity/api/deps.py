"""Typed dependencies of identity's routes: the unit of work, the settings and the
adapters the composition root built (``bootstrap.IdentityAdapters``, on
``app.state.identity``).

They are ``async def`` although none awaits anything: FastAPI runs a plain ``def``
dependency in the thread pool, a hop per dependency on every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from identity.adapters.answer_floor import AnswerFloor
from identity.adapters.document_store import DocumentStore
from identity.adapters.keys import KeyRing
from identity.adapters.login_challenges import LoginChallenges
from identity.adapters.login_store import LoginStore
from identity.adapters.ordering_client import OrderingClient
from identity.adapters.passwords import Passwords
from identity.adapters.recent_rotations import RecentRotations
from identity.adapters.throttle import LoginThrottle, MailCooldown
from identity.config import Settings
from identity.service_layer.unit_of_work import IdentityUnitOfWork, identity_uow
from servicekit.crypto import SecretBox
from servicekit.deps import ClockDep as ClockDep
from servicekit.deps import RuntimeDep as RuntimeDep


async def new_uow(request: Request) -> IdentityUnitOfWork:
    return identity_uow(request.app.state.runtime)


def _adapter(name: str) -> Callable[[Request], Awaitable[Any]]:
    """The dependency handing out ``IdentityAdapters.<name>`` of the app."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state.identity, name)

    dependency.__name__ = f"{name}_of"
    return dependency


async def client_ip(request: Request) -> str:
    """The caller's address as the login throttle counts it: an IPv4 address as it is,
    an IPv6 address as its /64 (one subscriber can take a new address in it for every
    request; issue 19 item 16)."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


UowDep = Annotated[IdentityUnitOfWork, Depends(new_uow)]
SettingsDep = Annotated[Settings, Depends(_adapter("settings"))]
KeysDep = Annotated[KeyRing, Depends(_adapter("keys"))]
PasswordsDep = Annotated[Passwords, Depends(_adapter("passwords"))]
ThrottleDep = Annotated[LoginThrottle, Depends(_adapter("throttle"))]
ChallengesDep = Annotated[LoginChallenges, Depends(_adapter("challenges"))]
LoginsDep = Annotated[LoginStore, Depends(_adapter("logins"))]
CooldownDep = Annotated[MailCooldown, Depends(_adapter("cooldown"))]
RotationsDep = Annotated[RecentRotations, Depends(_adapter("rotations"))]
FloorDep = Annotated[AnswerFloor, Depends(_adapter("floor"))]
#: Seals the tokens events carry to notification.
EventBoxDep = Annotated[SecretBox, Depends(_adapter("event_box"))]
#: Encrypts operators' TOTP secrets at rest.
SecretBoxDep = Annotated[SecretBox, Depends(_adapter("secret_box"))]
DocumentStoreDep = Annotated[DocumentStore, Depends(_adapter("documents"))]
OrderingDep = Annotated[OrderingClient, Depends(_adapter("ordering"))]
ClientIpDep = Annotated[str, Depends(client_ip)]
