"""The mailbox of a test stack: emails as the SMTP sink in the test process received
them (:class:`servicekit.testing.smtp.SmtpSink`), read as a member reads them."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from servicekit.testing.smtp import SmtpSink

#: How long an email may take: outbox relay, broker, consumer, sender, SMTP.
MAIL_TIMEOUT = 30.0

_LINK = re.compile(r"https?://\S+")


def body_of(message: EmailMessage) -> str:
    """The plain-text body of an email."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage), "the email has no text part"
    return str(part.get_content())


def link_query(message: EmailMessage, path: str) -> dict[str, str]:
    """The query of the link to ``path`` in ``message`` (one value per name)."""
    for link in _LINK.findall(body_of(message)):
        parts = urlsplit(link)
        if parts.path == path:
            return {name: values[0] for name, values in parse_qs(parts.query).items()}
    raise AssertionError(f"no link to {path} in:\n{body_of(message)}")


async def mail_to(
    smtp: SmtpSink,
    address: str,
    predicate: Callable[[EmailMessage], bool] = lambda message: True,
    timeout: float = MAIL_TIMEOUT,
) -> EmailMessage:
    """The first email ``smtp`` received for ``address`` matching ``predicate`` (waits
    for it up to ``timeout`` seconds)."""
    return await smtp.wait_for(
        lambda message: address in str(message["To"]) and predicate(message), timeout
    )
