"""Structured logs: one JSON object per line on stdout, secrets removed.

Both structlog loggers and the standard library's (uvicorn, aio-pika,
SQLAlchemy) go through the same processors, so every line carries
``timestamp`` (ISO 8601 UTC), ``level``, ``logger``, ``service`` and — while a
request or a message is being handled — ``request_id`` and
``correlation_id`` from :mod:`servicekit.context`.

Redaction happens twice: values under sensitive keys (``password``,
``token``, ``authorization`` …, at any depth) become ``[REDACTED]``, and the
rendered line is scrubbed of bearer tokens, JWTs and Fernet tokens wherever
they appear (messages, reprs, tracebacks).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import orjson
import structlog
from opentelemetry import trace as otel_trace
from structlog.typing import EventDict, Processor, WrappedLogger

from servicekit.context import correlation_id_var, request_id_var

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"password|token|secret|authorization|cookie|otp|ciphertext|account_number", re.IGNORECASE
)
# A JWS/JWT always starts with a base64url JSON header ("eyJ" is '{"'); a Fernet
# token with version byte 0x80 ("gAAAAA"); bearer credentials follow "Bearer ";
# a URL may carry "user:password@" (database and broker URLs in error messages).
_SECRET_TEXT = re.compile(
    r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|gAAAAA[A-Za-z0-9_-]{20,}={0,2}"
    r"|(?<=[Bb]earer )[A-Za-z0-9._~+/=-]+"
    r"|(?<=://)[^/@\s:]*:[^/@\s]+(?=@)"
)

#: Libraries whose INFO chatter would drown the service's own lines.
_QUIET_LOGGERS = ("sqlalchemy.engine", "aiormq", "aio_pika", "asyncio", "httpx", "httpcore")

_service_name = "service"
_configured = False


def scrub_text(text: str) -> str:
    """Replace bearer tokens, JWTs, Fernet tokens and URL passwords inside ``text``."""
    return _SECRET_TEXT.sub(REDACTED, text)


def redact(value: Any) -> Any:
    """A copy of a JSON-like ``value`` with secrets removed.

    Values under sensitive keys become ``[REDACTED]`` at any depth; token-like
    text inside the remaining strings is scrubbed. Used for log lines and for
    showing stored payloads (dead letters) to operators.
    """
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_sensitive(key) else redact(item) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _is_sensitive(key: Any) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.search(key) is not None


def _redact_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_sensitive(key) else _redact_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact_keys(item) for item in value]
    return value


def redact_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: ``[REDACTED]`` under sensitive keys, at any depth."""
    return {
        key: REDACTED if _is_sensitive(key) else _redact_keys(item)
        for key, item in event_dict.items()
    }


def add_service_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the service name and the current request/correlation ids."""
    event_dict.setdefault("service", _service_name)
    request_id = request_id_var.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    correlation_id = correlation_id_var.get()
    if correlation_id is not None:
        event_dict.setdefault("correlation_id", correlation_id)
    # With tracing on (servicekit.tracing), a line written under a span names it.
    span = otel_trace.get_current_span().get_span_context()
    if span.is_valid:
        event_dict.setdefault("trace_id", format(span.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span.span_id, "016x"))
    return event_dict


class _ScrubbingRenderer:
    """Renders the event, then scrubs token-like text from the whole line."""

    def __init__(self, inner: Processor) -> None:
        self._inner = inner

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        rendered = self._inner(logger, name, event_dict)
        assert isinstance(rendered, str)
        return scrub_text(rendered)


def _json_dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=repr).decode()


class _StdoutHandler(logging.StreamHandler):
    """Writes to the current ``sys.stdout``, even when it was swapped after set-up
    (pytest's capture, a supervisor re-opening stdout)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: TextIO) -> None:
        """Ignored on purpose: the stream is always the current ``sys.stdout``."""


def configure_logging(service: str, level: str = "INFO", *, json: bool = True) -> None:
    """Route structlog and standard-library logging to stdout through one renderer.

    Call once at process start (``servicekit.cli`` does); calling again
    replaces the previous set-up. ``json=False`` renders coloured console
    lines for local development, with the same redaction.
    """
    global _service_name, _configured
    _service_name = service
    _configured = True

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service_context,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_json_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_processor,
            _ScrubbingRenderer(renderer),
        ],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdoutHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())

    # uvicorn installs its own handlers unless started with log_config=None;
    # its access log is replaced by RequestContextMiddleware's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def ensure_logging(service: str, level: str = "INFO") -> None:
    """Configure logging unless this process already did.

    App factories call it: uvicorn's worker processes (``WORKERS`` > 1) import
    the factory without running the CLI that configured the parent.
    """
    if not _configured:
        configure_logging(service, level)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger named ``name`` (the module's ``__name__`` by convention)."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
