"""A real SMTP server for tests (aiosmtpd), keeping what it receives in memory."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """An SMTP server on 127.0.0.1 that stores every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self._loop and self._arrived:
            self._loop.call_soon_threadsafe(self._arrived.set)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            # Started outside a loop: the loop the messages will be awaited on.
            self._loop = asyncio.get_event_loop()
        self._arrived = asyncio.Event()
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(
        self, predicate: Callable[[EmailMessage], bool], timeout: float = 15.0
    ) -> EmailMessage:
        """The first stored message matching ``predicate``, waiting up to ``timeout`` s."""
        assert self._arrived is not None, "sink not started"
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for message in self.messages:
                if predicate(message):
                    return message
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                subjects = [m["Subject"] for m in self.messages]
                raise TimeoutError(f"no matching mail within {timeout}s; got {subjects}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.5))
