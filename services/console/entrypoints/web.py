"""The console's web conventions: pages from templates, the session cookie, CSRF, messages.

Every page but the sign-in needs a session: its cookie is secure, HTTP-only and same-site
(strict), and holds only a random token. Every form carries the session's CSRF token in a
hidden field, checked on every POST. After a POST the browser is sent on (303) to a page
that shows what happened.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from services.console.domain.grounds import CORRECTABLE_TERMS, REFUSAL_GROUNDS
from services.console.domain.staff import PAGE_TITLES, Page
from services.console.domain.timeline import yuan
from services.console.service_layer import commands as c
from services.console.service_layer.ports import ServiceRefused
from services.console.service_layer.sessions import SessionView
from shared.auth import CALLER_KEY
from shared.kernel.errors import DomainError
from shared.messagebus import MessageBus
from shared.workdays import BEIJING

HERE = Path(__file__).resolve().parent.parent
SESSION_COOKIE = "__Host-pledgeflow-console"
SIGN_IN_COOKIE = "__Host-pledgeflow-sign-in"
CSRF_FIELD = "csrf"
NONE = "\u2013"  # an en dash: no figure


class SignInNeeded(Exception):
    """No open session: the browser goes to the sign-in page."""


class FormRefused(Exception):
    """A POST without the session's CSRF token."""


def when(value: datetime | str | None) -> str:
    """An instant in Beijing time, as people at the office read it."""
    if value is None or value == "":
        return NONE
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return f"{instant.astimezone(BEIJING):%Y-%m-%d %H:%M}"


def money(value: Any) -> str:
    return NONE if value is None else yuan(value)


def templates() -> Jinja2Templates:
    """The page templates, with the console's filters."""
    found = Jinja2Templates(directory=str(HERE / "templates"))
    found.env.filters.update(when=when, money=money)
    found.env.globals.update(
        PAGE_TITLES=PAGE_TITLES,
        GROUNDS=REFUSAL_GROUNDS,
        TERMS=CORRECTABLE_TERMS,
        CSRF_FIELD=CSRF_FIELD,
    )
    return found


def messages(request: Request) -> MessageBus[Any]:
    bus = request.app.state.runtime.messages
    assert isinstance(bus, MessageBus)
    return bus


async def current_session(request: Request) -> SessionView:
    """The open session of the request's cookie; otherwise the browser signs in first."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeeded
    handled = await messages(request).handle(c.ResumeSession(token))
    view = handled.result
    if view is None:
        raise SignInNeeded
    request.state.token = token
    request.state.session = view
    request.scope[CALLER_KEY] = view.person.staff_id
    return view


Session = Annotated[SessionView, Depends(current_session)]


async def checked_form(request: Request, session: Session) -> FormData:
    """The posted form, provided it carries the session's CSRF token."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise FormRefused
    return form


Form = Annotated[FormData, Depends(checked_form)]


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    current: Page | None = None,
) -> HTMLResponse:
    """A page of the console, for the signed-in person."""
    session: SessionView | None = getattr(request.state, "session", None)
    values = {
        "session": session,
        "person": session.person if session else None,
        "csrf": session.csrf_token if session else "",
        "current": current,
        "refresh_ms": int(request.app.state.settings.refresh_seconds * 1000),
        **(context or {}),
    }
    response = request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status_code
    )
    assert isinstance(response, HTMLResponse)
    return response


async def go(request: Request, to: str, message: str | None = None, kind: str = "done") -> Response:
    """Send the browser on to `to` (303), with a message for that page."""
    if message:
        await messages(request).handle(c.Flash(request.state.token, kind, message))
    return RedirectResponse(to, status_code=303)


async def perform(request: Request, command: c.Command, done: str, to: str) -> Response:
    """Run a command for the signed-in person and show its outcome on the page `to`."""
    try:
        await messages(request).handle(command)
    except ServiceRefused as refusal:
        text = f"Refused: {refusal.title}"
        if refusal.detail and refusal.detail != refusal.title:
            text += f" ({refusal.detail})"
        return await go(request, to, f"{text} [{refusal.code}]", "problem")
    except DomainError as refusal:
        return await go(
            request, to, f"{refusal.title}: {refusal.detail} [{refusal.code}]", "problem"
        )
    return await go(request, to, done)


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/sign-in?next={quote(target, safe='/?=&')}"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this console only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def amount(text: str | None) -> Decimal | None:
    """A yuan amount typed in a form (separators allowed), or None when left empty."""
    cleaned = (text or "").replace(",", "").replace("¥", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise FieldProblem(f"{text!r} is not an amount in yuan") from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FieldProblem(f"{text!r} is not an amount in yuan to the fen")
    return value


class FieldProblem(DomainError):
    code = "console.field_invalid"
    title = "A field of the form is not valid"


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="strict"
    )
