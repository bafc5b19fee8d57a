"""Traces with OpenTelemetry: off by default, one tracer provider per service when on.

When a service's `tracing_exporter` is `otlp`, it records spans for HTTP requests (the FastAPI
instrumentation), database statements (the SQLAlchemy instrumentation), message handling,
and broker publish and consume, and ships them over OTLP/HTTP to the endpoint named by
`tracing_otlp_endpoint` or the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
`OTEL_EXPORTER_OTLP_ENDPOINT` variables (headers, timeouts and resource attributes from the
other standard `OTEL_*` variables). `memory` keeps them in this process, for tests.

Off, nothing is instrumented and the tracer is the API's no-op one; an HTTP request's trace
context is still taken from its `traceparent` header, or made up (two random ids) when it has
none. Either way the W3C trace context travels on: an event is stored in the outbox with the
`traceparent` of the work that made it, the relay sends it as a record header, and a consumer
continues that trace, recording spans where tracing is on.
"""

from __future__ import annotations

import functools
import logging
import random
import re
from collections.abc import Iterable
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, NoOpTracer, Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
UNTRACED_PATHS = "healthz,readyz,metrics,static"
_propagator = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the span in progress, or None when nothing is traced."""
    return traceparent_of(None)


def traceparent_of(context: Context | None) -> str | None:
    """The W3C `traceparent` of `context` (the current one when None)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=context)
    return carrier.get(TRACEPARENT)


def span_traceparent(span: Span) -> str | None:
    """The `traceparent` naming `span` as the parent."""
    return traceparent_of(trace.set_span_in_context(span))


def context_of(traceparent: str | None) -> Context | None:
    """The context a `traceparent` names, or None when there is none (or it is malformed)."""
    if not traceparent:
        return None
    context = _propagator.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def valid_traceparent(value: str | None) -> str | None:
    """`value` if it is a W3C traceparent (version 00, ids not all zero), else None."""
    found = _TRACEPARENT.fullmatch(value.strip().lower()) if value else None
    if found is None or not int(found[1], 16) or not int(found[2], 16):
        return None
    return found[0]


def new_traceparent() -> str:
    """A traceparent starting a trace (flagged sampled, so a traced service downstream
    records its part)."""
    return f"00-{random.getrandbits(128) or 1:032x}-{random.getrandbits(64) or 1:016x}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id a traceparent names."""
    return traceparent.split("-")[1] if traceparent else None


@functools.cache
def memory_exporter() -> Any:
    """The process's in-memory exporter: where `tracing_exporter=memory` services send spans."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    return InMemorySpanExporter()


class Tracing:
    """A service's tracer, and the instrumentation of its app and database when tracing is on."""

    def __init__(
        self,
        service: str,
        exporter: str = "none",
        endpoint: str | None = None,
        sample_ratio: float = 1.0,
    ) -> None:
        self.service = service
        self._provider: Any = None
        self.tracer: Tracer = NoOpTracer()
        if exporter == "none":
            return
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        provider = TracerProvider(
            resource=Resource.create({"service.name": f"pledgeflow-{service}"}),
            sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
        )
        if exporter == "memory":
            provider.add_span_processor(SimpleSpanProcessor(memory_exporter()))
        elif exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        else:
            raise ValueError(f"unknown trace exporter {exporter!r}")
        self._provider = provider
        self.tracer = provider.get_tracer("pledgeflow")

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded at all."""
        return self._provider is not None

    def instrument_app(self, app: Any) -> None:
        """A server span for every HTTP request but the probes and the metrics."""
        if not self.enabled:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self._provider,
            excluded_urls=UNTRACED_PATHS,
            exclude_spans=["receive", "send"],
        )

    def instrument_engine(self, engine: Any) -> None:
        """A client span for every statement sent on `engine` (an AsyncEngine)."""
        if not self.enabled:
            return
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        usage = NoOpMeterProvider().get_meter("pledgeflow").create_up_down_counter("unused")
        tracer = self._provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        EngineTracer(tracer, engine.sync_engine, usage)

    def consuming(self, name: str, traceparent: str | None, attributes: dict[str, Any]) -> Span:
        """A consumer span (not made current) continuing the trace a record carries."""
        return self.tracer.start_span(
            name, context=context_of(traceparent), kind=SpanKind.CONSUMER, attributes=attributes
        )

    def batch_span(self, name: str, spans: Iterable[Span], attributes: dict[str, Any]) -> Any:
        """A span (to use as current) for work done for several records at once, linked to
        each record's span."""
        links = [Link(s.get_span_context()) for s in spans if s.get_span_context().is_valid]
        return self.tracer.start_as_current_span(
            name, links=links, kind=SpanKind.INTERNAL, attributes=attributes
        )

    def flush(self) -> None:
        """Send what is buffered (the service is stopping)."""
        if self._provider is not None:
            try:
                self._provider.force_flush(timeout_millis=5_000)
            except Exception:
                log.warning("spans could not be flushed", exc_info=True)
