"""Unexpected errors answer problem details with an error id; oversized bodies answer 413 early."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.registry.app import create_app
from services.registry.service_layer import handlers
from services.registry.settings import RegistrySettings
from shared.body_limit import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BULK_BODY_BYTES
from shared.logging import JsonFormatter
from shared.migrations import upgrade
from tests.credentials import bank_headers
from tests.integration.conftest import Running, running

CHUNK = 64 * 1024


async def _registry(url: str, **settings: Any) -> Any:
    await asyncio.to_thread(upgrade, "registry", url)
    return running(
        create_app,
        RegistrySettings(
            environment="test",
            database_url=url,
            kafka_bootstrap_servers="memory://",
            http_port=0,
            **settings,
        ),
    )


@pytest.fixture
async def registry(sqlite_url: Callable[[str], str]) -> AsyncIterator[Running]:
    async with await _registry(sqlite_url("registry")) as service:
        yield service


async def test_an_unexpected_error_is_a_problem_with_an_error_id_found_in_the_log(
    registry: Running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(handlers, "get_filing", broken)

    with caplog.at_level(logging.ERROR, logger="shared.http"):
        response = await registry.client.get("/v1/pledge-filings/f-1")

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "server.error"
    assert "disk" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if getattr(r, "error_id", None)]
    assert record.error_id == problem["error_id"]  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter("registry").format(record))
    assert line["error_id"] == problem["error_id"]
    assert line["path"] == "/v1/pledge-filings/f-1"
    assert "the disk is on fire" in line["exception"]


async def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]], chunks: int) -> Any:
    """Send a POST whose body is `chunks` chunks, recording how many the app read."""
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    registry: Running,
) -> None:
    length = str(DEFAULT_MAX_BODY_BYTES + 1).encode()
    auth = [(b"authorization", bank_headers()["Authorization"].encode())]

    status, problem, read = await _call(
        registry.app, "/v1/pledge-filings", [(b"content-length", length), *auth], chunks=100
    )

    assert (status, problem["code"], read) == (413, "request.too_large", 0)


async def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(
    registry: Running,
) -> None:
    auth = [(b"authorization", bank_headers()["Authorization"].encode())]

    status, problem, read = await _call(registry.app, "/v1/pledge-filings", auth, chunks=1000)

    assert (status, problem["code"]) == (413, "request.too_large")
    assert read == DEFAULT_MAX_BODY_BYTES // CHUNK + 1


async def test_the_limits_are_configurable_and_bulk_loads_have_a_larger_one(
    sqlite_url: Callable[[str], str],
) -> None:
    rows = [{"number": f"{n}", "title": "t" * 400} for n in range(1, 8)]  # about 3 kB
    async with await _registry(
        sqlite_url("small"), http_max_body_bytes=2048, http_max_bulk_body_bytes=65536
    ) as small:
        single = await small.client.put("/internal/v1/patents/201910000041.5", json=rows)
        bulk = await small.client.post("/internal/v1/patents/bulk", json={"rows": rows})

    assert (single.status_code, single.json()["code"]) == (413, "request.too_large")
    assert single.headers["content-type"].startswith("application/problem+json")
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["rejected"] == 7


def test_the_default_limits_are_one_mebibyte_and_sixteen_for_bulk_loads() -> None:
    settings = RegistrySettings(database_url="sqlite+aiosqlite://", http_port=0)

    assert settings.http_max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    assert settings.http_max_bulk_body_bytes == DEFAULT_MAX_BULK_BODY_BYTES == 16 * 1024 * 1024
