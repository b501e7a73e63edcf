"""OpenTelemetry traces across HTTP and RabbitMQ; off unless the standard ``OTEL_*`` say so.

One order is one trace: the gateway's server span (a client's W3C
``traceparent`` is its parent), the gateway's client span to the service
(``traceparent`` injected into the upstream request), the service's server
span, the outbox row (the ``traceparent`` current when the event was
published is kept in the row's ``headers``), the relay's producer span (its
``traceparent`` goes out as an AMQP message header), the consuming worker's
consumer span, and what the handler does under it (notification's SMTP send).

Configuration is the SDK's standard environment:

- tracing is on when ``OTEL_TRACES_EXPORTER`` is ``otlp`` or ``console``, or
  when it is unset and ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set; ``OTEL_SDK_DISABLED=true``
  or ``OTEL_TRACES_EXPORTER=none`` turns it off;
- spans go by OTLP over HTTP (``http/protobuf``) to that endpoint
  (``/v1/traces`` appended to ``OTEL_EXPORTER_OTLP_ENDPOINT``);
- ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``
  and the batch processor's ``OTEL_BSP_*`` work as documented by OpenTelemetry.

When tracing is off, :func:`enabled` is False and every helper here is a
no-op costing one attribute read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from servicekit.logging import get_logger

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
#: The headers that carry a trace context (replaced, never forwarded as received).
CONTEXT_HEADERS = frozenset({TRACEPARENT, TRACESTATE})

_propagator = TraceContextTextMapPropagator()
_log = get_logger("servicekit.tracing")


class _State:
    tracer: Tracer | None = None
    provider: TracerProvider | None = None


_state = _State()


def enabled() -> bool:
    """Whether this process records spans."""
    return _state.tracer is not None


def wanted(environ: Mapping[str, str] | None = None) -> str | None:
    """The exporter the environment asks for (``otlp``, ``console``), or None for off."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        first = exporter.split(",")[0].strip()
        return first if first in ("otlp", "console") else None
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return "otlp"
    return None


def traces_endpoint(environ: Mapping[str, str] | None = None) -> str:
    """Where OTLP/HTTP spans go, from the standard variables."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4318"
    return base.rstrip("/") + "/v1/traces"


def configure(
    service_name: str,
    *,
    exporter: SpanExporter | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Turn tracing on for this process when the environment asks (or ``exporter`` is given).

    ``exporter`` (tests) is used with a synchronous processor; otherwise the
    exporter the environment names is used behind a batch processor; an
    environment that asks for nothing leaves things as they are. A second set-up
    replaces the first. Returns whether this call turned tracing on.
    """
    env = os.environ if environ is None else environ
    if exporter is None:
        kind = wanted(env)
        if kind is None:
            return False
        exporter = _exporter(kind, env)
        processor: Any = BatchSpanProcessor(exporter)
    else:
        processor = SimpleSpanProcessor(exporter)
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": service_name}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(processor)
    shutdown()
    _state.provider = provider
    _state.tracer = provider.get_tracer("bizmall.servicekit")
    return True


def _exporter(kind: str, env: Mapping[str, str]) -> SpanExporter:
    if kind == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if protocol != "http/protobuf":
        _log.warning("only OTLP http/protobuf is supported; using it", asked=protocol)
    return OTLPSpanExporter(endpoint=traces_endpoint(env))


def shutdown() -> None:
    """Flush and stop the exporter (at process exit; tests between set-ups)."""
    provider, _state.provider, _state.tracer = _state.provider, None, None
    if provider is not None:
        provider.shutdown()


def force_flush(timeout_millis: int = 5000) -> None:
    """Export every finished span now."""
    if _state.provider is not None:
        _state.provider.force_flush(timeout_millis)


def extract(carrier: Mapping[str, Any] | None) -> otel_context.Context | None:
    """The remote parent carried by ``carrier``'s ``traceparent`` (None without one)."""
    if not carrier:
        return None
    value = carrier.get(TRACEPARENT)
    if not isinstance(value, str | bytes):
        return None
    text_carrier = {TRACEPARENT: value.decode() if isinstance(value, bytes) else value}
    state = carrier.get(TRACESTATE)
    if isinstance(state, str):
        text_carrier[TRACESTATE] = state
    return _propagator.extract(text_carrier)


def inject(carrier: dict[str, Any] | None = None) -> dict[str, Any]:
    """``carrier`` (a new dict by default) with the current span's ``traceparent``."""
    out: dict[str, Any] = {} if carrier is None else carrier
    if _state.tracer is not None:
        _propagator.inject(out)
    return out


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, or None (tracing off, no span)."""
    if _state.tracer is None:
        return None
    return inject().get(TRACEPARENT)


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Mapping[str, Any] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span | None]:
    """A span that is current inside the block (None when tracing is off).

    ``parent`` is a carrier (headers) whose ``traceparent`` becomes the parent;
    without one the current span is. An exception escaping the block marks the
    span as an error and is recorded on it.
    """
    tracer = _state.tracer
    if tracer is None:
        yield None
        return
    context = extract(parent) if parent is not None else None
    with tracer.start_as_current_span(
        name, context=context, kind=kind, attributes=dict(attributes or {})
    ) as current:
        yield current


def set_error(current: Span | None, description: str) -> None:
    """Mark ``current`` as failed (no-op for None)."""
    if current is not None:
        current.set_status(Status(StatusCode.ERROR, description[:200]))


__all__ = [
    "CONTEXT_HEADERS",
    "TRACEPARENT",
    "SpanKind",
    "configure",
    "current_traceparent",
    "enabled",
    "extract",
    "force_flush",
    "inject",
    "set_error",
    "shutdown",
    "span",
]
