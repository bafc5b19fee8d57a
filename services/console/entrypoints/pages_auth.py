"""Signing in and out, the home page, and the public keys of the console's issuer."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.console.domain.staff import SignInRefused
from services.console.entrypoints.web import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Form,
    Session,
    messages,
    page,
    safe_next,
    set_cookie,
)
from services.console.service_layer import commands as c

router = APIRouter()
SIGN_IN_FORM_SECONDS = 3600


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str = "/") -> Response:
    """The sign-in form; its CSRF token is also in a short-lived cookie."""
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, "sign_in.html", {"sign_in_token": token, "next": safe_next(next)})
    set_cookie(response, SIGN_IN_COOKIE, token, SIGN_IN_FORM_SECONDS)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Open a session for staff whose password matches."""
    form = await request.form()
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = str(form.get(CSRF_FIELD) or "")
    target = safe_next(str(form.get("next") or "/"))
    context: dict[str, Any] = {"sign_in_token": expected, "next": target}
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        context["problem"] = "The form expired; please sign in again."
        response = page(request, "sign_in.html", context | {"sign_in_token": ""}, 403)
        response.delete_cookie(SIGN_IN_COOKIE, path="/", secure=True, httponly=True)
        return response
    staff_id = str(form.get("staff_id") or "").strip()
    try:
        handled = await messages(request).handle(
            c.SignIn(staff_id, str(form.get("password") or ""))
        )
    except SignInRefused:
        context |= {"problem": "Unknown staff id or wrong password.", "staff_id": staff_id}
        return page(request, "sign_in.html", context, 401)
    opened = handled.result
    redirect = RedirectResponse(target, status_code=303)
    lifetime = request.app.state.deps.sessions.lifetime
    set_cookie(redirect, SESSION_COOKIE, opened.token, int(lifetime.total_seconds()))
    redirect.delete_cookie(SIGN_IN_COOKIE, path="/", secure=True, httponly=True)
    return redirect


@router.post("/sign-out")
async def sign_out(request: Request, session: Session, form: Form) -> Response:
    """End the session."""
    await messages(request).handle(c.SignOut(request.state.token))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.get("/")
async def home(session: Session) -> Response:
    """The first page of the person's role."""
    return RedirectResponse(f"/{session.person.pages[0].value}", status_code=303)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> Response:
    """The public keys of the credentials the console signs, for the services to trust."""
    return JSONResponse(request.app.state.issuer.jwks())
