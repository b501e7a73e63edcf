"""An in-process SMTP sink that records when each message arrived.

aiosmtpd runs in a thread of its own (its own event loop), so an arrival is
timestamped when the message is accepted, not when the benchmark's busy event
loop gets round to it. Times are ``time.perf_counter()`` values, comparable
with the ones the load loops record.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

from aiosmtpd.controller import Controller

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"[?&]token=([^\s&]+)")


@dataclass(frozen=True)
class Arrival:
    """One accepted message: when, to whom, its subject, its text body and every
    UUID in that body (order ids, for matching a mail to its order)."""

    at: float
    recipients: tuple[str, ...]
    subject: str
    text: str
    uuids: frozenset[str]

    def token(self) -> str | None:
        """The one-time token of a link in the body (``...?token=...``), if any."""
        found = _TOKEN.search(self.text)
        return unquote(found.group(1)) if found else None


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return str(body.get_content()) if body is not None else ""


class _Recorder:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text = _text_of(message)
        arrival = Arrival(
            at=at,
            recipients=tuple(r.lower() for r in envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            text=text,
            uuids=frozenset(_UUID.findall(text)),
        )
        self._sink.record(arrival)
        return "250 OK"


class MailSink:
    """An SMTP server on ``host:port`` keeping every message as an :class:`Arrival`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._controller = Controller(_Recorder(self), hostname=host, port=port)

    def start(self) -> None:
        """Start accepting mail (in the controller's thread)."""
        self._controller.start()

    def stop(self) -> None:
        """Stop accepting mail."""
        self._controller.stop()

    def record(self, arrival: Arrival) -> None:
        """Keep ``arrival`` and wake every waiter (called from the SMTP thread)."""
        with self._lock:
            self.arrivals.append(arrival)
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def wait_for_recipient(self, address: str, timeout: float) -> Arrival:
        """The first message to ``address``, waiting up to ``timeout`` seconds for it."""
        address = address.lower()
        found = await self.wait_until(
            lambda arrivals: [a for a in arrivals if address in a.recipients], timeout
        )
        return found[0]

    async def wait_until(self, matching: Any, timeout: float) -> list[Arrival]:
        """Wait until ``matching(arrivals)`` returns a non-empty list, and return it."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        with self._lock:
            self._waiters.append((loop, event))
        try:
            deadline = loop.time() + timeout
            while True:
                event.clear()
                with self._lock:
                    snapshot = list(self.arrivals)
                found = matching(snapshot)
                if found:
                    return list(found)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"no matching mail within {timeout:g}s")
                try:
                    await asyncio.wait_for(event.wait(), min(remaining, 1.0))
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                self._waiters.remove((loop, event))

    def snapshot(self) -> list[Arrival]:
        """Every message so far."""
        with self._lock:
            return list(self.arrivals)
