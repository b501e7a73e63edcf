"""One whole local stack for the end-to-end, browser and observability tests.

``python -m devrun`` (see ``bizmall_testkit.stack``) on a free port base with this run's
own databases, exchange, queue prefix and Redis namespace, so it never meets a
developer's ``make dev`` stack or another test run. It starts when the first test
asks for ``stack`` (a run of unit tests alone starts none) and stops at the end
of the session. Its notification service sends to a real SMTP sink living in this
process, where tests read the emails as a member reads their mailbox; every
process exports its spans to :class:`OtlpReceiver`, a small OTLP/HTTP collector
in this process, set with the standard OpenTelemetry variables as an operator
would; its gateway serves this checkout's web build (``make web``) when there is
one.

The stack is shared: a test finds its own members, orders and emails (by
address, id or trace), never counts what the others may have left.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from bizmall_testkit.client import Stack
from bizmall_testkit.stack import free_port_base_for, gateway_session, running_stack, stack_env
from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

WEB_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as an exporter sent it."""

    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]


@dataclass
class OtlpReceiver:
    """An OTLP/HTTP (``application/x-protobuf``) trace receiver on a free local port."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> OtlpReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/traces", self._export)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _export(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if request.content_type != "application/x-protobuf":
            return web.Response(status=415)
        export = trace_service_pb2.ExportTraceServiceRequest()
        export.ParseFromString(body)
        self.requests += 1
        for resource_spans in export.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            service=str(resource.get("service.name", "")),
                            name=span.name,
                            kind=trace_pb2.Span.SpanKind.Name(span.kind),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.trace_id == trace_id]


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@pytest_asyncio.fixture(scope="session")
async def smtp_mailbox() -> AsyncIterator[SmtpSink]:
    """A real SMTP server for the whole session (on the session's event loop, where the
    tests wait for its mail)."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest_asyncio.fixture(scope="session")
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    """Where every process of the shared stack exports its spans."""
    async with OtlpReceiver() as receiver:
        yield receiver


@pytest_asyncio.fixture(scope="session")
async def stack(
    infra: Infra,
    smtp_mailbox: SmtpSink,
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    """The whole system, started once with ``python -m devrun`` and stopped with SIGINT."""
    var_dir = tmp_path_factory.mktemp("devrun")
    base = free_port_base_for()
    extra = {"GATEWAY_WEB_ROOT": str(WEB_DIST)} if (WEB_DIST / "index.html").is_file() else {}
    env = await stack_env(
        infra,
        base=base,
        var_dir=var_dir,
        smtp=smtp_mailbox,
        database_hint="e2e",
        otlp_endpoint=otlp_receiver.endpoint,
        extra=extra,
    )
    async with running_stack(env, var_dir / "stack.log") as running, gateway_session(base) as http:
        yield Stack(base=base, http=http, smtp=smtp_mailbox, env=env, log=running.log)
