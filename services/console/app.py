"""The console: pages for the registry office and the operators, its consumers and workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console.adapters.gateway import HttpServices
from services.console.adapters.orm import metadata
from services.console.adapters.staff_file import load_staff
from services.console.bootstrap import bootstrap
from services.console.domain.staff import PageForbidden
from services.console.entrypoints import pages_auth, pages_desk, pages_operations, pages_signoff
from services.console.entrypoints.consumers import (
    CASE_TOPICS,
    CONSOLE_CONSUMERS,
    DeadLetterWatch,
    dead_letter_topics,
)
from services.console.entrypoints.redriver import Redriver
from services.console.entrypoints.web import HERE, FormRefused, SignInNeeded, page, sign_in_url
from services.console.entrypoints.web import templates as console_templates
from services.console.service_layer import commands as c
from services.console.service_layer.deps import ConsoleDeps, SessionPolicy
from services.console.service_layer.ports import ServiceDown, ServiceRefused, Services
from services.console.service_layer.unit_of_work import SqlConsoleUnitOfWork
from services.console.settings import ConsoleSettings
from shared.banks import load_directory
from shared.bus.base import EventBus
from shared.calendars import CalendarBook, follow_changes
from shared.http import RequestContext, health_router, metrics_router
from shared.issuer import LocalIssuer, development_issuer
from shared.kernel.clock import Clock, SystemClock
from shared.kernel.errors import DomainError, NotFound
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def console_issuer(settings: ConsoleSettings) -> LocalIssuer:
    """The issuer the console signs staff credentials as."""
    if settings.issuer is None or settings.issuer_keys is None:
        return development_issuer()
    issuer = LocalIssuer(settings.issuer, settings.issuer_keys)
    issuer.jwks()
    return issuer


def create_app(
    settings: ConsoleSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    services: Services | None = None,
) -> FastAPI:
    """Build the console; resources are opened in the lifespan."""
    settings = settings or ConsoleSettings()
    clock = clock or SystemClock()
    staff = load_staff(settings.staff_file)
    if settings.environment == "production":
        staff.refuse_development_accounts()
    issuer = console_issuer(settings)
    gateway = services or HttpServices(
        {
            "registry": settings.registry_url.rstrip("/"),
            "valuation": settings.valuation_url.rstrip("/"),
            "credit": settings.credit_url.rstrip("/"),
        },
        issuer,
        timedelta(seconds=settings.service_token_seconds),
        settings.service_timeout_seconds,
    )
    deps = ConsoleDeps(
        services=gateway,
        staff=staff,
        banks=load_directory(settings.bank_directory_file),
        book=CalendarBook(OfficialCalendar(), settings.calendar_warn_from),
        clock=clock,
        sessions=SessionPolicy(
            timedelta(hours=settings.session_hours),
            timedelta(minutes=settings.session_idle_minutes),
        ),
    )
    runtime = ServiceRuntime(
        "console",
        settings,
        metadata,
        SqlConsoleUnitOfWork,
        lambda unit_of_work: bootstrap(unit_of_work, deps),
        consumers=CONSOLE_CONSUMERS,
        produces=(*CASE_TOPICS, *dead_letter_topics(settings.dead_letter_groups)),
        bus=bus,
    )
    _add_workers(runtime, settings, deps)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        startable: Any = gateway
        if hasattr(startable, "start"):
            await startable.start()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            if hasattr(startable, "stop"):
                await startable.stop()

    app = FastAPI(
        title="pledgeflow console",
        description="Pages for examiners, supervisors, appraisers, credit officers and operators",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.deps = deps
    app.state.issuer = issuer
    app.state.templates = console_templates()
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        RequestContext, metrics=runtime.metrics, carry_trace=not runtime.tracing.enabled
    )
    _install_error_pages(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in (
        pages_auth.router,
        pages_desk.router,
        pages_signoff.router,
        pages_operations.router,
    ):
        app.include_router(router)
    app.include_router(health_router(runtime.readiness, runtime.warnings))
    app.include_router(metrics_router(runtime.metrics))
    runtime.tracing.instrument_app(app)
    return app


def _add_workers(runtime: ServiceRuntime, settings: ConsoleSettings, deps: ConsoleDeps) -> None:
    async def watch_dead_letters() -> None:
        watch = DeadLetterWatch(
            runtime.bus, settings.dead_letter_groups, runtime.messages, runtime.metrics
        )
        await watch.run()

    async def calendar_in_force() -> None:
        # The years stored (by this replica's consumer or another's) in force, and a missing
        # year logged once a day, as the services that count working days do.
        deps.book.install_all(await runtime.messages.query(c.SchedulesInForce()))
        deps.book.warn_once_a_day(deps.clock.now())

    redriver = Redriver(lambda: runtime.messages, lambda: runtime.bus, deps.clock)
    runtime.add_worker("dead-letters", watch_dead_letters)
    runtime.add_worker("redriver", redriver.run)
    runtime.add_startup("calendar", calendar_in_force)
    runtime.add_worker(
        "calendar",
        lambda: follow_changes(deps.book, settings.calendar_refresh_interval, calendar_in_force),
    )
    runtime.add_warnings(lambda: deps.book.warnings(deps.clock.now()))


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse(sign_in_url(request), status_code=303)

    @app.exception_handler(FormRefused)
    async def _form(request: Request, exc: FormRefused) -> Response:
        text = "The form expired or did not come from this console. Reload the page and try again."
        return page(request, "error.html", {"title": "Form refused", "text": text}, 403)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        text = "Your role does not use this page."
        return page(request, "error.html", {"title": "Not for your role", "text": text}, 403)

    @app.exception_handler(ServiceRefused)
    async def _refused(request: Request, exc: ServiceRefused) -> Response:
        context = {"title": exc.title, "text": f"{exc.detail} [{exc.code}]"}
        return page(request, "error.html", context, exc.status)

    @app.exception_handler(ServiceDown)
    async def _down(request: Request, exc: ServiceDown) -> Response:
        context = {"title": "A service cannot be reached", "text": "Try again in a moment."}
        return page(request, "error.html", context, 503)

    @app.exception_handler(DomainError)
    async def _refusal(request: Request, exc: DomainError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 422
        return page(request, "error.html", {"title": exc.title, "text": exc.detail}, status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        context = {"title": "Bad request", "text": "The address or form is not valid."}
        return page(request, "error.html", context, 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = "Not found" if exc.status_code == 404 else str(exc.detail)
        return page(request, "error.html", {"title": title, "text": ""}, exc.status_code)


class SecurityHeaders:
    """Headers that keep pages from being framed, sniffed, cached or fed foreign scripts."""

    HEADERS = (
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.HEADERS]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)
