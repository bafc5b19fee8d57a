"""HTTP conventions shared by the services: problem details, correlation ids, health probes."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import CALLER_KEY, verifier_for
from shared.banks import load_directory
from shared.body_limit import BodyLimit
from shared.context import EventContext, reset_context, set_context
from shared.kernel.errors import DomainError
from shared.ledger_keys import SigningKeysLedger
from shared.logging import ACCESS_LOGGER
from shared.messagebus import MessageBus
from shared.metrics import Metrics
from shared.openapi import declare_common_responses
from shared.problems import (
    PROBLEM_JSON,
    STATUS_OF_KIND,
    Problem,
    problem_response,
    refusal_response,
)
from shared.tracing import new_traceparent, valid_traceparent

if TYPE_CHECKING:
    from shared.runtime import ServiceRuntime

__all__ = [
    "PROBLEM_JSON",
    "STATUS_OF_KIND",
    "Messages",
    "Problem",
    "field_error",
    "install_conventions",
    "problem_response",
    "refusal_response",
    "service_app",
]

CORRELATION_HEADER = "X-Correlation-Id"
STATUS_CODES = {
    400: "request.unreadable",
    404: "resource.not_found",
    405: "method.not_allowed",
    413: "request.too_large",
}
FIELD_CODES = {"extra_forbidden": "field.unknown"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

log = logging.getLogger(__name__)
access = logging.getLogger(ACCESS_LOGGER)


class RightNumberConvertor(StringConvertor):
    """A path segment that can be a right's number (it holds a digit), so `bulk` is not one."""

    regex = "[^/]*[0-9][^/]*"


register_url_convertor("right_number", RightNumberConvertor())


def install_conventions(
    app: FastAPI, metrics: Metrics | None = None, carry_trace: bool = True
) -> None:
    """Problem details for every error, and a correlation id on every request."""
    app.add_middleware(RequestContext, metrics=metrics, carry_trace=carry_trace)

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.title, exc.detail, exc.errors)

    @app.exception_handler(DomainError)
    async def _refused(_: Request, exc: DomainError) -> JSONResponse:
        return refusal_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [field_error(e) for e in exc.errors()]
        return problem_response(422, "request.invalid", "The request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http.error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(exc.status_code, code, str(exc.detail), headers=headers)


class RequestContext:
    """Plain ASGI middleware: the request's correlation id in force while it is handled and on
    its answer, its count and duration by route template in the service's metrics, and one
    access log line (method, route template, status, duration, caller; the formatter adds the
    correlation and trace ids)."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics | None = None, carry_trace: bool = True
    ) -> None:
        self.app = app
        self.metrics = metrics
        # With tracing off no span holds the trace context: the request's own context, its
        # `traceparent` or a new one, goes with the events it makes.
        self.carry_trace = carry_trace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        requested = _header(scope, b"x-correlation-id")
        correlation_id = (requested or str(uuid.uuid4()))[:64]
        header = (CORRELATION_HEADER.lower().encode(), correlation_id.encode("latin-1"))
        status = 500
        started_response = False
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        traceparent = None
        if self.carry_trace:
            traceparent = valid_traceparent(_header(scope, b"traceparent")) or new_traceparent()
        token = set_context(EventContext(correlation_id=correlation_id, traceparent=traceparent))
        try:
            try:
                await self.app(scope, receive, sending)
            except Exception:
                if started_response:
                    raise
                await unexpected_error(scope)(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            access.info(
                "request",
                extra={
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "caller": scope.get(CALLER_KEY),
                },
            )
            reset_context(token)
            if self.metrics is not None:
                self.metrics.http_requests.labels(template, method, str(status)).inc()
                self.metrics.http_duration.labels(template, method).observe(elapsed)


def unexpected_error(scope: Scope) -> JSONResponse:
    """Log the exception in progress under a new error id and answer 500 with that id."""
    error_id = str(uuid.uuid4())
    log.exception(
        "unexpected error",
        extra={"error_id": error_id, "method": scope.get("method"), "path": scope.get("path")},
    )
    return problem_response(
        500,
        "server.error",
        "Internal server error",
        f"Quote error id {error_id} when reporting this",
        error_id=error_id,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path."""
    allowed = set()
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.add(method)
    return sorted(allowed)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def field_error(error: Any, skip: int = 1) -> dict[str, Any]:
    """One pydantic error as `{field, message, code}`, the code of the rule broken kept."""
    cause = (error.get("ctx") or {}).get("error")
    code = getattr(cause, "code", None) or FIELD_CODES.get(error["type"], f"field.{error['type']}")
    return {
        "field": ".".join(str(p) for p in error["loc"][skip:]),
        "message": str(cause) if cause is not None else error["msg"],
        "code": code,
    }


def health_router(
    readiness: Callable[[], Awaitable[dict[str, str]]],
    warnings: Callable[[], dict[str, str]] = dict,
) -> APIRouter:
    """`/healthz` says the process lives; `/readyz` says its database and workers are up.

    Warnings (e.g. next year's working-day schedule missing) never make a service unready;
    they are listed beside the status.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness probe")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness probe", response_model=None)
    async def readyz() -> JSONResponse | dict[str, Any]:
        problems, notes = await readiness(), warnings()
        extra: dict[str, Any] = {"warnings": notes} if notes else {}
        if problems:
            body = {"status": "unavailable", "problems": problems, **extra}
            return JSONResponse(body, status_code=503)
        return {"status": "ready", **extra}

    return router


async def message_bus(request: Request) -> MessageBus[Any]:
    """The message bus of the service answering the request."""
    bus = request.app.state.runtime.messages
    assert isinstance(bus, MessageBus)
    return bus


Messages = Annotated["MessageBus[Any]", Depends(message_bus)]


def service_app(
    runtime: ServiceRuntime, description: str, routers: Sequence[APIRouter], **state: object
) -> FastAPI:
    """A service's FastAPI app: its runtime started in the lifespan, conventions, health probes."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"pledgeflow {runtime.service}",
        version="1.0",
        description=description,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.verifier = verifier_for(
        runtime.settings, runtime.service, SigningKeysLedger(runtime.unit_of_work)
    )
    if "bank_directory" not in state:
        app.state.bank_directory = load_directory(runtime.settings.bank_directory_file)
    for name, value in state.items():
        setattr(app.state, name, value)
    # Added first, so innermost: the 413 it raises while FastAPI reads a body reaches FastAPI.
    app.add_middleware(
        BodyLimit,
        max_bytes=runtime.settings.http_max_body_bytes,
        max_bulk_bytes=runtime.settings.http_max_bulk_body_bytes,
    )
    install_conventions(app, runtime.metrics, carry_trace=not runtime.tracing.enabled)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(runtime.readiness, runtime.warnings))
    app.include_router(metrics_router(runtime.metrics))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_common_responses(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    runtime.tracing.instrument_app(app)
    return app


def metrics_router(metrics: Metrics) -> APIRouter:
    """`GET /metrics` in the Prometheus text format (for the scraper; not in the API docs)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def exposition() -> Response:
        await metrics.refresh()
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
