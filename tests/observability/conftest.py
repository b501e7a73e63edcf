"""One whole local stack with tracing on, and an OTLP receiver its spans go to.

The stack is the end-to-end tests' (``tests/e2e/conftest.py``: ``python -m
devrun`` on free ports with this run's databases, exchange, queues and Redis
namespace, and a real SMTP sink), started with the standard OpenTelemetry
variables pointing every process at :class:`OtlpReceiver`, a small OTLP/HTTP
collector living in this process: every span any process of the stack
exports is here to be checked.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from servicekit.testing.infra import Infra
from servicekit.testing.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


def _load_e2e() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bizmall_e2e_stack_traced", ROOT / "tests" / "e2e" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


e2e = _load_e2e()
smtp_mailbox = e2e.smtp_mailbox


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


@dataclass
class TracedStack:
    """The running stack, its ports and the receiver of its spans."""

    stack: Any
    base: int
    receiver: OtlpReceiver

    @property
    def metrics_urls(self) -> dict[str, str]:
        """Where each of the eleven processes serves /metrics, by process name."""
        from devrun.plan import SERVICES, port_base, port_of, worker_port_of

        base = port_base({"DEVRUN_PORT_BASE": str(self.base)})
        urls = {"gateway-api": f"http://127.0.0.1:{base}/metrics"}
        for app in SERVICES:
            urls[f"{app}-api"] = f"http://127.0.0.1:{port_of(app, 0, base)}/metrics"
            urls[f"{app}-worker"] = f"http://127.0.0.1:{worker_port_of(app, 0, base)}/metrics"
        return urls


@pytest_asyncio.fixture(scope="session")
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest_asyncio.fixture(scope="session")
async def traced(
    infra: Infra,
    smtp_mailbox: SmtpSink,
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TracedStack]:
    """The whole system with tracing on, started once with ``python -m devrun``."""
    var_dir = tmp_path_factory.mktemp("devrun-traced")
    base = e2e._free_port_base()
    env = await e2e._stack_env(infra, smtp_mailbox, base, var_dir)
    # The standard variables only: what an operator would set.
    env.update(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY="200",
    )
    env.pop("OTEL_SDK_DISABLED", None)
    env.pop("OTEL_SERVICE_NAME", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devrun",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    log = e2e._StackLog(var_dir / "stack.log")
    up = asyncio.Event()
    assert process.stdout is not None
    relay = asyncio.create_task(log.relay(process.stdout, up))
    pids: list[int] = []
    try:
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait(
            {ready, relay}, timeout=e2e.STARTUP_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        ready.cancel()
        assert up.is_set(), f"the stack did not come up (log: {log.path}):\n{log.tail()}"
        pids = e2e._descendants(process.pid)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{base}",
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as http:
            stack = e2e.Stack(base_url=f"http://127.0.0.1:{base}", http=http, smtp=smtp_mailbox)
            yield TracedStack(stack=stack, base=base, receiver=otlp_receiver)
    finally:
        pids = pids or e2e._descendants(process.pid)
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        finally:
            await asyncio.wait_for(relay, 10)
    assert process.returncode == 0, f"devrun failed (log: {log.path}):\n{log.tail()}"
    assert [pid for pid in pids if e2e._alive(pid)] == [], "processes outlived the stack"
