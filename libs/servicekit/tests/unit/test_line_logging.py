"""The access line: rendered once, the fields and redaction of every other line, the
level filter of its logger, and a writer that drops lines rather than block the loop."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from servicekit import metrics
from servicekit.context import correlation_id_var, request_id_var
from servicekit.logging import (
    REDACTED,
    LineWriter,
    configure_logging,
    get_line_logger,
    get_logger,
)
from servicekit.web import RequestContextMiddleware

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZW1iZXItMSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
ACCESS_FIELDS = {"method": "GET", "path": "/api/v1/services", "status": 200, "duration_ms": 1.5}


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Any:
    configure_logging("line-test", "INFO")
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    return read


@pytest.fixture
def request_ids() -> Iterator[None]:
    request_token = request_id_var.set("req-7")
    correlation_token = correlation_id_var.set("flow-7")
    yield
    correlation_id_var.reset(correlation_token)
    request_id_var.reset(request_token)


def test_the_line_has_the_fields_and_key_order_of_a_structlog_line(
    lines: Any, request_ids: None
) -> None:
    get_logger("servicekit.access").info("request", **ACCESS_FIELDS)
    get_line_logger("servicekit.access").log(logging.INFO, "request", ACCESS_FIELDS)

    through_structlog, rendered_once = lines()
    assert list(rendered_once) == list(through_structlog)
    del through_structlog["timestamp"], rendered_once["timestamp"]
    assert rendered_once == through_structlog
    assert rendered_once["request_id"] == "req-7"
    assert rendered_once["correlation_id"] == "flow-7"
    assert rendered_once["service"] == "line-test"


def test_the_timestamp_is_iso_utc_like_every_other_line(lines: Any) -> None:
    get_line_logger("servicekit.access").log(logging.INFO, "request", ACCESS_FIELDS)

    (line,) = lines()
    assert line["timestamp"].endswith("Z")
    assert line["timestamp"][10] == "T"


def test_secrets_never_reach_the_line(lines: Any) -> None:
    class Holder:
        def __repr__(self) -> str:
            return f"Holder(postgresql://app:hunter2@db/app, {JWT})"

    get_line_logger("tests.lines").log(
        logging.INFO,
        "request",
        {
            "path": f"/api/v1/me/email/confirm/{JWT}",
            "note": "Authorization: Bearer s3cr3t-bearer-value",
            "token": "plain-looking-value",
            "payload": {"profile": {"password": "hunter2hunter2"}, "url": "amqp://u:pw1@mq/"},
            "holder": Holder(),
        },
    )

    (line,) = lines()
    text = json.dumps(line)
    for secret in (JWT, "s3cr3t-bearer-value", "plain-looking-value", "hunter2", "pw1"):
        assert secret not in text
    assert line["path"] == f"/api/v1/me/email/confirm/{REDACTED}"
    assert line["token"] == REDACTED
    assert line["payload"]["profile"]["password"] == REDACTED


def test_a_path_with_quotes_and_a_url_password_stays_valid_json(lines: Any) -> None:
    get_line_logger("tests.lines").log(
        logging.INFO, "request", {"path": '/a"://u:pw2@b', "status": 404}
    )

    (line,) = lines()
    assert "pw2" not in line["path"]
    assert line["status"] == 404


def test_the_level_of_the_logger_filters_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("line-test", "WARNING")
    capsys.readouterr()
    access = get_line_logger("servicekit.access")
    try:
        assert not access.is_enabled_for(logging.INFO)
        access.log(logging.INFO, "request", ACCESS_FIELDS)
        access.log(logging.ERROR, "request", ACCESS_FIELDS)
        (line,) = (json.loads(out) for out in capsys.readouterr().out.splitlines())
    finally:
        configure_logging("line-test", "INFO")
    assert line["level"] == "error"


async def _probe_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_probe_requests_are_logged_at_debug_only(capsys: pytest.CaptureFixture[str]) -> None:
    app = RequestContextMiddleware(_probe_app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        configure_logging("line-test", "INFO")
        capsys.readouterr()
        await client.get("/healthz")
        assert capsys.readouterr().out == ""

        configure_logging("line-test", "DEBUG")
        try:
            await client.get("/healthz")
            lines = [json.loads(out) for out in capsys.readouterr().out.splitlines()]
        finally:
            configure_logging("line-test", "INFO")
    access = [line for line in lines if line["logger"] == "servicekit.access"]
    assert [(line["path"], line["level"]) for line in access] == [("/healthz", "debug")]


def test_console_logs_keep_the_structlog_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("line-test", "INFO", json=False)
    capsys.readouterr()
    try:
        get_line_logger("servicekit.access").log(logging.INFO, "request", ACCESS_FIELDS)
        out = capsys.readouterr().out
    finally:
        configure_logging("line-test", "INFO")
    assert "request" in out
    assert "/api/v1/services" in out
    assert not out.startswith("{")


SHARED_HEADERS = [(b"content-type", b"text/plain")]


async def _shared_headers_app(scope: Scope, receive: Receive, send: Send) -> None:
    # The same header list for every answer, as a cached response would send it.
    await send({"type": "http.response.start", "status": 200, "headers": SHARED_HEADERS})
    await send({"type": "http.response.body", "body": b"cached"})


async def _own_id_app(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"x-request-id", b"set-by-the-app")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def test_the_request_id_is_added_to_a_copy_of_the_apps_headers() -> None:
    app = RequestContextMiddleware(_shared_headers_app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        first = await client.get("/x", headers={"X-Request-ID": "first-1"})
        second = await client.get("/x")

    assert first.headers.get_list("x-request-id") == ["first-1"]
    assert len(second.headers.get_list("x-request-id")) == 1
    assert second.headers["x-request-id"] != "first-1"
    assert SHARED_HEADERS == [(b"content-type", b"text/plain")]


async def test_an_apps_own_request_id_header_is_not_doubled() -> None:
    transport = httpx.ASGITransport(app=RequestContextMiddleware(_own_id_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/x")

    assert response.headers.get_list("x-request-id") == ["set-by-the-app"]


class _PipeStdout:
    """A stdout whose file descriptor is the write end of a pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def write(self, text: str) -> int:
        raise AssertionError("a stdout with a descriptor is written by the writer thread")

    def flush(self) -> None:
        raise AssertionError("a stdout with a descriptor is written by the writer thread")


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    os.close(read_fd)
    os.close(write_fd)


def _stdout_to(write_fd: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # In the test itself: pytest puts its own capture back as sys.stdout between setup
    # and call, so a fixture's replacement would not last.
    monkeypatch.setattr(sys, "stdout", _PipeStdout(write_fd))


def _read_available(read_fd: int) -> bytes:
    received = bytearray()
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except BlockingIOError:
            return bytes(received)
        received += chunk


def _drain(read_fd: int, writer: LineWriter) -> bytes:
    """Everything the writer wrote, read while it writes (the pipe holds little)."""
    os.set_blocking(read_fd, False)
    received = bytearray()
    while True:
        done = writer.flush(timeout=0.05)
        received += _read_available(read_fd)
        if done:
            # Everything is in the pipe now, and the pipe was emptied before.
            return bytes(received + _read_available(read_fd))


def _line(number: int) -> bytes:
    # Sizes vary so that lines straddle the writer's PIPE_BUF-sized writes.
    return b'{"n":%d,"pad":"%s"}\n' % (number, b"x" * (number % 300))


def test_lines_written_to_a_descriptor_arrive_whole_and_in_order(
    pipe: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdout_to(pipe[1], monkeypatch)
    writer = LineWriter()
    sent = [_line(n) for n in range(3000)]
    for line in sent:
        writer.write(line)

    received = _drain(pipe[0], writer)

    assert received == b"".join(sent)
    assert writer.dropped == 0


def test_a_stalled_stdout_drops_lines_instead_of_blocking(
    pipe: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    read_fd, write_fd = pipe
    _stdout_to(write_fd, monkeypatch)
    # The smallest pipe the kernel allows: nobody reads it until every line is written.
    capacity = fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 4096)
    writer = LineWriter(max_buffered_bytes=16 * 1024)
    sent = [_line(n) for n in range(4000)]
    # Far more than the pipe and the buffer hold together: written from this thread,
    # which would never return from write() (and never read the pipe) if it blocked.
    assert sum(map(len, sent)) > 4 * (capacity + 16 * 1024)
    for line in sent:
        writer.write(line)

    received = _drain(read_fd, writer).splitlines(keepends=True)

    assert writer.dropped > 0
    assert len(received) + writer.dropped == len(sent)
    # What arrived are whole lines, in the order they were written.
    numbers = [json.loads(line)["n"] for line in received]
    assert numbers == sorted(numbers)
    assert all(line == _line(n) for line, n in zip(received, numbers, strict=True))


def test_dropped_lines_are_counted_on_the_metrics_page() -> None:
    body, _ = metrics.render()

    assert b"bizmall_log_lines_dropped_total" in body
