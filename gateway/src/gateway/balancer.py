"""Which upstream address serves the next request of a service.

A service has one or more base URLs. A host name among them may resolve to
several addresses (Compose's ``--scale`` gives one DNS name many A records),
so the pool resolves each host itself, keeps the answer for a few seconds, and
round-robins over every (base URL × address) pair. The connection then goes to
the address, with the original ``Host`` header.

An address that refused a connection is skipped for a short cooldown; when all
of a service's addresses are cooling down they are tried anyway, so a service
that comes back is noticed at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from servicekit.logging import get_logger

#: Resolves (host, port) to IP addresses.
Resolver = Callable[[str, int], Awaitable[list[str]]]

_log = get_logger(__name__)


async def resolve_with_system(host: str, port: int) -> list[str]:
    """The host's TCP addresses from the system resolver, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class Target:
    """One upstream address: where to connect and which ``Host`` to announce."""

    base_url: str
    host_header: str


@dataclass(slots=True)
class _Upstream:
    """One configured base URL and what its host currently resolves to."""

    host: str
    port: int
    host_header: str
    is_literal: bool
    targets: list[Target] = field(default_factory=list)


class ServicePool:
    """The upstream addresses of one service, balanced round-robin."""

    def __init__(
        self,
        service: str,
        base_urls: list[str],
        *,
        dns_cache_seconds: float,
        refused_cooldown_seconds: float,
        resolver: Resolver = resolve_with_system,
    ) -> None:
        self.service = service
        self._upstreams = [_parse(url) for url in base_urls]
        self._dns_cache_seconds = dns_cache_seconds
        self._cooldown = refused_cooldown_seconds
        self._resolver = resolver
        self._resolved_at: float | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._next = 0
        self._refused_until: dict[Target, float] = {}

    async def candidates(self) -> list[Target]:
        """Every target, the next in turn first and cooling-down ones last."""
        targets = await self._targets()
        if len(targets) == 1:
            # One address (a Kubernetes Service name): nothing to order.
            return targets
        start = self._next % len(targets)
        self._next = start + 1
        ordered = targets[start:] + targets[:start]
        now = time.monotonic()
        healthy = [t for t in ordered if self._refused_until.get(t, 0.0) <= now]
        cooling = [t for t in ordered if self._refused_until.get(t, 0.0) > now]
        return healthy + cooling

    def mark_refused(self, target: Target) -> None:
        """Skip ``target`` for the cooldown: it refused a connection."""
        self._refused_until[target] = time.monotonic() + self._cooldown

    async def _targets(self) -> list[Target]:
        if self._resolved_at is None:
            await self._resolve()
        elif time.monotonic() - self._resolved_at > self._dns_cache_seconds and (
            self._refresh is None or self._refresh.done()
        ):
            # Requests keep using the previous answer while a new one arrives.
            self._refresh = asyncio.create_task(self._resolve())
        return [target for upstream in self._upstreams for target in upstream.targets]

    async def _resolve(self) -> None:
        for upstream in self._upstreams:
            if upstream.is_literal:
                if not upstream.targets:
                    upstream.targets = [_target(upstream, upstream.host)]
                continue
            try:
                addresses = await self._resolver(upstream.host, upstream.port)
            except OSError as exc:
                _log.warning(
                    "upstream host did not resolve",
                    service=self.service,
                    host=upstream.host,
                    error=str(exc),
                )
                addresses = []
            if addresses:
                upstream.targets = [_target(upstream, address) for address in addresses]
            elif not upstream.targets:
                # Nothing known yet: dial the name and let the connection fail (503).
                upstream.targets = [_target(upstream, upstream.host)]
        self._resolved_at = time.monotonic()


def _parse(url: str) -> _Upstream:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    try:
        ipaddress.ip_address(host)
        is_literal = True
    except ValueError:
        is_literal = False
    return _Upstream(host=host, port=port, host_header=parts.netloc, is_literal=is_literal)


def _target(upstream: _Upstream, address: str) -> Target:
    literal = f"[{address}]" if ":" in address else address
    return Target(base_url=f"http://{literal}:{upstream.port}", host_header=upstream.host_header)
