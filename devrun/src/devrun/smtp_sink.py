"""The SMTP sink of local mode: accepts every message and keeps it in a Maildir.

Local mode has no Mailpit; the notification service still talks real SMTP, and
what it sends lands as one file per message under ``var/mail/new/`` (any mail
client or ``python -m mailbox``-style script reads a Maildir).
"""

from __future__ import annotations

import socket
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1025


def listening(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class MaildirSink:
    """An SMTP server on ``host:port`` storing every accepted message in ``maildir``."""

    def __init__(self, maildir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port
        maildir.parent.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(Mailbox(maildir), hostname=host, port=port)

    def start(self) -> None:
        """Start serving (in a thread of its own)."""
        self._controller.start()

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()
