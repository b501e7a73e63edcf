"""Request and correlation ids carried through one unit of work.

The ids live in context variables so that every log line written while a
request or a message is handled carries them, and so that events published
from that work inherit the correlation id (one order can be followed across
services).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def new_id() -> str:
    """A fresh random id (UUID4, hex with dashes)."""
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    """The correlation id of the work in progress, or a new one when there is none."""
    return correlation_id_var.get() or request_id_var.get() or new_id()
