"""Port ranges for local stacks started by tests.

A stack listens on a base port and the ports after it (gateway, five APIs, five
workers' metrics ports). The base is taken below the kernel's ephemeral range:
outgoing connections get their local ports from that range, so a port chosen
there can be taken by some client between the check and the stack's bind.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 11000


def ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (32768 when it cannot be read)."""
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def port_is_free(port: int) -> bool:
    """Whether nothing listens on, or is bound to, ``127.0.0.1:port`` right now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base(span: int = 11, step: int = 100) -> int:
    """A multiple of ``step`` below the ephemeral range whose ``span`` ports are free."""
    high = max(_LOWEST + step, ephemeral_low() - span)
    for _ in range(200):
        base = random.randrange(_LOWEST, high, step)
        if all(port_is_free(port) for port in range(base, base + span)):
            return base
    raise RuntimeError(f"no {span} free ports in a row below {high}")
