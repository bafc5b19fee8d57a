"""A service process writes one JSON line per HTTP request on stdout, and nothing else anywhere
that is not JSON: no colour codes, nothing on stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from shared.auth import Role
from shared.devstack import ROOT, free_port, wait_for_port
from shared.issuer import development_issuer
from shared.migrations import upgrade
from tests.credentials import staff_headers

STATISTICS = "/internal/v1/statistics"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_every_request_is_one_json_line_on_stdout_401s_included(tmp_path: Path) -> None:
    development_issuer()
    database = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    upgrade("registry", database)
    port = free_port()
    prefix = "PLEDGEFLOW_REGISTRY_"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLEDGEFLOW_")},
        prefix + "DATABASE_URL": database,
        prefix + "KAFKA_BOOTSTRAP_SERVERS": "memory://",
        prefix + "HTTP_PORT": str(port),
        # The web server colours its lines when it thinks a terminal is watching.
        "FORCE_COLOR": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.registry"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    sent: list[tuple[str, str, int, str | None]] = []
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        base = f"http://127.0.0.1:{port}"
        supervisor = staff_headers("supervisor-7", Role.SUPERVISOR)
        with httpx.Client(base_url=base, timeout=10) as client:
            for path, headers, status, caller in (
                ("/healthz", {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, 200, None),
                (STATISTICS, {}, 401, None),
                (STATISTICS, {"Authorization": "Bearer not-a-token"}, 401, None),
                (STATISTICS, supervisor, 200, "supervisor-7"),
                ("/no/such/page", {}, 404, None),
            ):
                correlation_id = f"logs-{uuid.uuid4().hex[:8]}"
                response = client.get(path, headers={**headers, "X-Correlation-Id": correlation_id})
                assert response.status_code == status, response.text
                sent.append((correlation_id, path, status, caller))
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)

    assert stderr == b"", stderr.decode(errors="replace")
    assert b"\x1b" not in stdout and b"\\u001b" not in stdout
    lines = [json.loads(line) for line in stdout.decode().splitlines()]
    assert lines and all(line["service"] == "registry" for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines), "server lines are JSON too"
    access = [line for line in lines if line["logger"] == "pledgeflow.access"]
    assert len(access) == len(sent), access
    for line, (correlation_id, path, status, caller) in zip(access, sent, strict=True):
        assert line["correlation_id"] == correlation_id
        assert line["method"] == "GET"
        assert line["route"] == (path if status != 404 else "unmatched")
        assert line["status"] == status
        assert line["duration_ms"] >= 0
        assert line["caller"] == caller
        assert re.fullmatch("[0-9a-f]{32}", line["trace_id"]), "tracing off, the context still is"
    assert access[0]["trace_id"] == TRACE_ID, "the caller's trace context is kept"
    assert len({line["trace_id"] for line in access}) == len(access)
