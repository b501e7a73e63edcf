"""The port ranges test stacks listen on."""

from __future__ import annotations

import socket

from servicekit.testing.ports import ephemeral_low, free_port_base, port_is_free


def test_a_port_base_lies_below_the_ephemeral_range_with_every_port_free() -> None:
    base = free_port_base(span=11)
    assert base + 11 <= ephemeral_low()
    assert base % 100 == 0
    assert all(port_is_free(port) for port in range(base, base + 11))


def test_a_bound_port_is_not_free() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not port_is_free(taken.getsockname()[1])
