"""HTTP conventions shared by the services: problem details, correlation ids, health probes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.context import EventContext, reset_context, set_context

if TYPE_CHECKING:
    from shared.runtime import ServiceRuntime

CORRELATION_HEADER = "X-Correlation-Id"
PROBLEM_JSON = "application/problem+json"
STATUS_CODES = {
    400: "request.unreadable",
    404: "resource.not_found",
    405: "method.not_allowed",
    413: "request.too_large",
}
FIELD_CODES = {"extra_forbidden": "field.unknown"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

log = logging.getLogger(__name__)


class RightNumberConvertor(StringConvertor):
    """A path segment that can be a right's number (it holds a digit), so `bulk` is not one."""

    regex = "[^/]*[0-9][^/]*"


register_url_convertor("right_number", RightNumberConvertor())


class Problem(Exception):
    """An error answered as RFC 9457 problem details with a stable `code`."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    error_id: str | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": f"https://pledgeflow.example/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if error_id:
        body["error_id"] = error_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_conventions(app: FastAPI) -> None:
    """Problem details for every error, and a correlation id on every request."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.title, exc.detail, exc.errors)

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

    @app.middleware("http")
    async def _correlation(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = set_context(EventContext(correlation_id=correlation_id[:64]))
        try:
            response = await call_next(request)
        except Exception:
            response = unexpected_error(request)
        finally:
            reset_context(token)
        response.headers[CORRELATION_HEADER] = correlation_id[:64]
        return response


def unexpected_error(request: Request) -> JSONResponse:
    """Log the exception in progress under a new error id and answer 500 with that id."""
    error_id = str(uuid.uuid4())
    log.exception(
        "unexpected error",
        extra={"error_id": error_id, "method": request.method, "path": request.url.path},
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


def field_error(error: Any, skip: int = 1) -> dict[str, Any]:
    """One pydantic error as `{field, message, code}`, the code of the rule broken kept."""
    cause = (error.get("ctx") or {}).get("error")
    code = getattr(cause, "code", None) or FIELD_CODES.get(error["type"], f"field.{error['type']}")
    return {
        "field": ".".join(str(p) for p in error["loc"][skip:]),
        "message": str(cause) if cause is not None else error["msg"],
        "code": code,
    }


def health_router(readiness: Callable[[], Awaitable[dict[str, str]]]) -> APIRouter:
    """`/healthz` says the process lives; `/readyz` says its database and workers are up."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness probe")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness probe", response_model=None)
    async def readyz() -> JSONResponse | dict[str, Any]:
        problems = await readiness()
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
        return {"status": "ready"}

    return router


def service_app(
    runtime: ServiceRuntime, description: str, routers: Sequence[APIRouter], **state: object
) -> FastAPI:
    """A service's FastAPI app: its runtime started in the lifespan, conventions, health probes."""

    from shared.auth import credentials_for
    from shared.body_limit import BodyLimit
    from shared.openapi import declare_common_responses

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
    app.state.credentials = credentials_for(runtime.settings)
    for name, value in state.items():
        setattr(app.state, name, value)
    # Added first, so innermost: the 413 it raises while FastAPI reads a body reaches FastAPI.
    app.add_middleware(
        BodyLimit,
        max_bytes=runtime.settings.http_max_body_bytes,
        max_bulk_bytes=runtime.settings.http_max_bulk_body_bytes,
    )
    install_conventions(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(runtime.readiness))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_common_responses(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
