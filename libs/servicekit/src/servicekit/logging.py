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

One line is too hot for that chain: the access line of every HTTP request.
Through structlog, the stdlib ``logging`` machinery and a flushed stream write
it cost a fifth to a third of a cached read (bench results of 2026-11-25). A
:class:`LineLogger` renders such a line once with orjson — the same fields,
the same redaction, the same level filtering — and hands the bytes to the
:class:`LineWriter`, which writes them to stdout from a thread in batches, so
the event loop never waits on a slow stdout: when stdout stalls, lines beyond a
bounded buffer are dropped and counted (``bizmall_log_lines_dropped_total``)
rather than holding up requests.
"""

from __future__ import annotations

import atexit
import collections
import datetime
import logging
import os
import re
import select
import sys
import threading
import time
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import orjson
import structlog
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Span
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

# Every alternative of _SECRET_TEXT contains one of these literally; a text holding
# none of them cannot match, and a substring test is far cheaper than the regex.
_SECRET_MARKERS = ("eyJ", "gAAAAA", "earer ", "://")

#: Libraries whose INFO chatter would drown the service's own lines.
_QUIET_LOGGERS = ("sqlalchemy.engine", "aiormq", "aio_pika", "asyncio", "httpx", "httpcore")

_service_name = "service"
_configured = False
# Whether lines are JSON (configure_logging's json=True): only then does a
# LineLogger render its own lines; otherwise they take the structlog chain.
_json_lines = False


def scrub_text(text: str) -> str:
    """Replace bearer tokens, JWTs, Fernet tokens and URL passwords inside ``text``."""
    for marker in _SECRET_MARKERS:
        if marker in text:
            return _SECRET_TEXT.sub(REDACTED, text)
    return text


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


def _put_context(line: MutableMapping[str, Any], span: Any) -> None:
    """Add the service name, the current request/correlation ids and, for a valid span
    context ``span`` (or None), its trace and span ids, where ``line`` has none."""
    line.setdefault("service", _service_name)
    request_id = request_id_var.get()
    if request_id is not None:
        line.setdefault("request_id", request_id)
    correlation_id = correlation_id_var.get()
    if correlation_id is not None:
        line.setdefault("correlation_id", correlation_id)
    if span is not None and span.is_valid:
        line.setdefault("trace_id", format(span.trace_id, "032x"))
        line.setdefault("span_id", format(span.span_id, "016x"))


def add_service_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the service name and the current request/correlation ids."""
    # With tracing on (servicekit.tracing), a line written under a span names it.
    _put_context(event_dict, otel_trace.get_current_span().get_span_context())
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
    global _service_name, _configured, _json_lines
    _service_name = service
    _configured = True
    _json_lines = json

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


class LineWriter:
    """Writes rendered log lines to stdout without ever blocking the event loop.

    :meth:`write` appends the line to a queue and, if the writer thread is
    asleep, wakes it; the thread takes every line queued by then and writes
    them with ``os.write`` to the file descriptor behind ``sys.stdout`` — one
    system call for many lines, where the stdlib handler made a write and a
    flush per line, and at most one wake-up per ``linger_seconds``. When
    stdout stalls (a full pipe nobody reads), the thread blocks, not the loop:
    lines keep being queued until ``max_buffered_bytes`` wait unwritten, and
    lines beyond that are dropped and counted (:attr:`dropped`), so a stuck
    log collector costs lines, never requests.

    Lines go out in writes of at most ``PIPE_BUF`` bytes cut at line ends: a
    pipe writes those atomically, so a line never interleaves with the stdlib
    handler's lines or with another process's on the same pipe.

    A ``sys.stdout`` with no file descriptor (pytest's ``capsys``, a
    ``StringIO``) is in memory and cannot stall: lines are written to it at
    once, in order with the stdlib handler's lines, as before. ``sys.stdout``
    is looked up on every write, as the stdlib handler does, so a swapped
    stream is followed.

    Lines are written from one thread, the event loop's (servicekit's access
    line is): each count is then changed by one thread only, and no lock is
    taken per line.
    """

    def __init__(
        self, *, max_buffered_bytes: int = 4 * 1024 * 1024, linger_seconds: float = 0.005
    ) -> None:
        self._max_buffered = max_buffered_bytes
        self._linger = linger_seconds
        self._stream: object = None
        self._fd: int | None = None
        self._start()

    def _start(self) -> None:
        self._lines: collections.deque[bytes] = collections.deque()
        self._wake = threading.Event()
        self._drained = threading.Condition()
        # Bytes queued (by the event loop's thread) and written or given up (by the
        # writer thread): their difference is what waits.
        self._queued_bytes = 0
        self._taken_bytes = 0
        self._dropped_full = 0
        self._dropped_failed = 0
        self._thread: threading.Thread | None = None

    @property
    def dropped(self) -> int:
        """Lines dropped since start: stdout stalled past the buffer, or failed."""
        return self._dropped_full + self._dropped_failed

    def write(self, line: bytes) -> None:
        """Queue one rendered line (ending in a newline) for stdout."""
        stream = sys.stdout
        if stream is not self._stream:
            self._bind(stream)
        if self._fd is None:
            stream.write(line.decode())
            stream.flush()
            return
        if self._queued_bytes - self._taken_bytes + len(line) > self._max_buffered:
            self._dropped_full += 1
            return
        self._queued_bytes += len(line)
        self._lines.append(line)
        if not self._wake.is_set():
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="servicekit-log-writer", daemon=True
                )
                self._thread.start()
            self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued line is written (or ``timeout`` passed).

        Returns whether everything was written. Called at process exit; tests
        call it to read what was written.
        """
        with self._drained:
            return self._drained.wait_for(lambda: self._taken_bytes >= self._queued_bytes, timeout)

    def after_fork_in_child(self) -> None:
        """Forget the parent's thread and queue (a forked child has neither)."""
        self._start()

    def _bind(self, stream: Any) -> None:
        self._stream = stream
        try:
            self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None

    def _run(self) -> None:
        lines = self._lines
        while True:
            self._wake.wait()
            # Waking this thread (Event.set) is the dearest part of a line; lingering
            # awake lets the lines of the next few milliseconds join the batch
            # without waking it again: at most one wake-up per linger period.
            time.sleep(self._linger)
            # Cleared before taking the lines: a line queued from now on sets it again.
            self._wake.clear()
            batch: list[bytes] = []
            while lines:
                batch.append(lines.popleft())
            fd = self._fd
            try:
                # No descriptor: stdout was swapped for an in-memory stream meanwhile.
                self._dropped_failed += len(batch) if fd is None else _write_lines(fd, batch)
            except Exception:
                # Whatever went wrong, the thread must live on.
                self._dropped_failed += len(batch)
            self._taken_bytes += sum(map(len, batch))
            with self._drained:
                self._drained.notify_all()


def _write_lines(fd: int, lines: list[bytes]) -> int:
    """Write ``lines`` to ``fd`` in line-aligned writes of at most ``PIPE_BUF`` bytes;
    the number of lines not written (the descriptor failed) is returned."""
    start = 0
    while start < len(lines):
        end, size = start, 0
        while end < len(lines) and (end == start or size + len(lines[end]) <= select.PIPE_BUF):
            size += len(lines[end])
            end += 1
        data = memoryview(b"".join(lines[start:end]))
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError:
            return len(lines) - start
        start = end
    return 0


_writer = LineWriter()
os.register_at_fork(after_in_child=_writer.after_fork_in_child)
atexit.register(_writer.flush, 2.0)

# The keys LineLogger callers use are few and fixed: those found not sensitive are
# remembered, and their plain values need no look at all.
_safe_keys: set[str] = set()
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


class LineLogger:
    """A logger for one line on a hot path (the access line of each HTTP request).

    The line has the fields and the redaction of every other line (see the
    module docs) and the same key order: the caller's fields, ``event``,
    ``level``, ``logger``, ``timestamp``, ``service``, ``request_id``,
    ``correlation_id``, and ``trace_id``/``span_id`` of ``span`` when given.
    The stdlib logger of the same name decides the level, as for any logger.
    It is rendered once with orjson and written by the :class:`LineWriter`,
    bypassing structlog and the stdlib handlers; with console logs
    (``json=False``), or before logging is configured, it takes the ordinary
    structlog path.

    No tracebacks, no positional arguments: lines that need them use
    :func:`get_logger`.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)
        self._structlog = get_logger(name)

    def is_enabled_for(self, level: int) -> bool:
        """Whether a line at ``level`` would be written (skip building it otherwise)."""
        return self._stdlib.isEnabledFor(level)

    def log(
        self, level: int, event: str, fields: Mapping[str, Any], *, span: Span | None = None
    ) -> None:
        """Write ``event`` with ``fields`` at ``level`` (a ``logging`` level number)."""
        if not self._stdlib.isEnabledFor(level):
            return
        if not _json_lines:
            self._structlog.log(level, event, **fields)
            return
        line = dict(fields)
        for key, value in fields.items():
            if key not in _safe_keys or type(value) not in _PLAIN_TYPES:
                line[key] = _redacted_field(key, value)
        line["event"] = event
        line["level"] = _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower()
        line["logger"] = self.name
        line["timestamp"] = datetime.datetime.now(datetime.UTC)
        _put_context(line, span.get_span_context() if span is not None else None)
        rendered = _render(line)
        if _may_hold_secret(rendered):
            # Scrubbed value by value, not the rendered line: a replacement can
            # then never cut through the JSON's own quotes.
            rendered = _render(
                {key: scrub_text(v) if isinstance(v, str) else v for key, v in line.items()},
                default=_scrubbed_repr,
            )
        _writer.write(rendered)


def _redacted_field(key: str, value: Any) -> Any:
    if key not in _safe_keys:
        if _is_sensitive(key):
            return REDACTED
        _safe_keys.add(key)
    if isinstance(value, Mapping | list | tuple):
        return redact(value)
    return value


def _may_hold_secret(rendered: bytes) -> bool:
    # _SECRET_MARKERS spelled out: a loop over them costs more than the searches.
    return (
        b"eyJ" in rendered or b"gAAAAA" in rendered or b"earer " in rendered or b"://" in rendered
    )


def _render(line: Mapping[str, Any], default: Any = repr) -> bytes:
    # OPT_UTC_Z writes the timestamp as structlog's TimeStamper(fmt="iso", utc=True) does.
    return orjson.dumps(line, default=default, option=orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE)


def _scrubbed_repr(value: Any) -> str:
    return scrub_text(repr(value))


def get_line_logger(name: str) -> LineLogger:
    """A :class:`LineLogger` named ``name``, for one hot line."""
    return LineLogger(name)


def dropped_lines() -> int:
    """Lines of :class:`LineLogger` dropped because stdout stalled (for ``/metrics``)."""
    return _writer.dropped


def flush_lines(timeout: float | None = None) -> bool:
    """Wait until every :class:`LineLogger` line handed over so far is written."""
    return _writer.flush(timeout)
