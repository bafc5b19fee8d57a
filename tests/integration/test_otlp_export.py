"""A service process with `TRACING_EXPORTER=otlp` sends its spans over OTLP/HTTP to the
endpoint its settings name, under its own service name."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from shared.devstack import ROOT, free_port, wait_for_port
from shared.migrations import upgrade

TRACE_ID = "5bf92f3577b34da6a3ce929d0e0e4736"


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP receiver keeping every export request it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.requests: list[tuple[str, ExportTraceServiceRequest]] = []


class _Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.requests.append((self.path, request))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_spans_are_sent_over_otlp_to_the_configured_endpoint(
    tmp_path: Path, collector: Collector
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    upgrade("registry", database)
    port = free_port()
    prefix = "PLEDGEFLOW_REGISTRY_"
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}/v1/traces"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PLEDGEFLOW_", "OTEL_"))},
        prefix + "DATABASE_URL": database,
        prefix + "KAFKA_BOOTSTRAP_SERVERS": "memory://",
        prefix + "HTTP_PORT": str(port),
        prefix + "TRACING_EXPORTER": "otlp",
        prefix + "TRACING_OTLP_ENDPOINT": endpoint,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.registry"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/register/entries",
            headers={"traceparent": traceparent},
            timeout=10,
        )
        assert response.status_code < 500
    finally:
        process.terminate()  # the spans still buffered are sent as the service stops
        _, stderr = process.communicate(timeout=30)
    assert stderr == b"", stderr.decode(errors="replace")

    assert collector.requests, "no spans reached the collector"
    spans = []
    for path, request in collector.requests:
        assert path == "/v1/traces"
        for resource_spans in request.resource_spans:
            names = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            assert names["service.name"] == "pledgeflow-registry"
            spans += [s for scope in resource_spans.scope_spans for s in scope.spans]
    ours = [s for s in spans if s.trace_id.hex() == TRACE_ID]
    assert any(s.name.startswith("GET ") for s in ours), [s.name for s in ours]
    assert any(s.kind == s.SPAN_KIND_CLIENT for s in ours), "no database statement span"
