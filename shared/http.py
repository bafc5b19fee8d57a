"""HTTP conventions shared by the services: problem details, correlation ids, health probes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.auth import verifier_for
from shared.banks import load_directory
from shared.context import EventContext, reset_context, set_context
from shared.kernel.errors import DomainError
from shared.messagebus import MessageBus
from shared.problems import (
    PROBLEM_JSON,
    STATUS_OF_KIND,
    Problem,
    problem_response,
    refusal_response,
)

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


def install_conventions(app: FastAPI) -> None:
    """Problem details for every error, and a correlation id on every request."""

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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "resource.not_found", 405: "method.not_allowed"}.get(
            exc.status_code, "http.error"
        )
        return problem_response(exc.status_code, code, str(exc.detail))

    @app.middleware("http")
    async def _correlation(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = set_context(EventContext(correlation_id=correlation_id[:64]))
        try:
            response = await call_next(request)
        finally:
            reset_context(token)
        response.headers[CORRELATION_HEADER] = correlation_id[:64]
        return response


def field_error(error: Any, skip: int = 1) -> dict[str, Any]:
    """One pydantic error as `{field, message, code}`, the code of an identifier kept."""
    cause = (error.get("ctx") or {}).get("error")
    return {
        "field": ".".join(str(p) for p in error["loc"][skip:]),
        "message": str(cause) if cause is not None else error["msg"],
        "code": getattr(cause, "code", None) or f"field.{error['type']}",
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


def message_bus(request: Request) -> MessageBus[Any]:
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
    app.state.verifier = verifier_for(runtime.settings, runtime.service)
    if "bank_directory" not in state:
        app.state.bank_directory = load_directory(runtime.settings.bank_directory_file)
    for name, value in state.items():
        setattr(app.state, name, value)
    install_conventions(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(runtime.readiness, runtime.warnings))
    return app
