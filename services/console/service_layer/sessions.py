"""Signing in and out, and the sessions behind the console's cookie.

The cookie holds a random token; the database keeps only its SHA-256, with the person, a
per-session CSRF token, when the session ends (its lifetime) and when it was last used (it
ends sooner when idle).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from services.console.domain.staff import Person, Role
from services.console.service_layer.commands import Flash, ResumeSession, SignIn, SignOut
from services.console.service_layer.deps import ConsoleDeps
from services.console.service_layer.ports import ConsoleUnitOfWork


@dataclass(frozen=True)
class OpenedSession:
    token: str
    person: Person


@dataclass(frozen=True)
class SessionView:
    """The person a request acts for, the form token, and a message left for this page."""

    person: Person
    csrf_token: str
    flash: str | None = None
    flash_kind: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_in(command: SignIn, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> OpenedSession:
    """Open a session for staff whose password matches; refused otherwise."""
    person = deps.staff.sign_in(command.staff_id, command.password)
    now = deps.clock.now()
    token = secrets.token_urlsafe(32)
    await uow.sessions.remove_expired(now)
    await uow.sessions.add(
        {
            "token_hash": token_hash(token),
            "staff_id": person.staff_id,
            "name": person.name,
            "role": person.role.value,
            "csrf_token": secrets.token_urlsafe(32),
            "created_at": now,
            "expires_at": now + deps.sessions.lifetime,
            "last_seen_at": now,
        }
    )
    await uow.actions.add(
        action_row(person, "sign_in", f"staff {person.staff_id}", "done", "", deps)
    )
    return OpenedSession(token, person)


async def sign_out(command: SignOut, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> None:
    """End the session the cookie names."""
    await uow.sessions.remove(token_hash(command.token))


async def resume_session(
    command: ResumeSession, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> SessionView | None:
    """The open session a cookie names, its use noted and its message handed over; None when
    it is unknown, past its lifetime or idle too long."""
    key = token_hash(command.token)
    row = await uow.sessions.get(key)
    now = deps.clock.now()
    if row is None:
        return None
    if now >= row["expires_at"] or now - row["last_seen_at"] >= deps.sessions.idle:
        await uow.sessions.remove(key)
        return None
    if deps.staff.role_of(row["staff_id"]) != row["role"]:
        await uow.sessions.remove(key)
        return None
    await uow.sessions.change(key, last_seen_at=now, flash=None, flash_kind=None)
    person = Person(row["staff_id"], row["name"], Role(row["role"]))
    return SessionView(person, row["csrf_token"], row["flash"], row["flash_kind"])


async def flash(command: Flash, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> None:
    """Leave a message for the person's next page."""
    await uow.sessions.change(
        token_hash(command.token), flash=command.message[:2000], flash_kind=command.kind
    )


def action_row(
    person: Person, action: str, target: str, outcome: str, detail: str, deps: ConsoleDeps
) -> dict[str, object]:
    return {
        "action_id": secrets.token_hex(16),
        "at": deps.clock.now(),
        "actor": person.staff_id,
        "role": person.role.value,
        "action": action,
        "target": target[:300],
        "outcome": outcome[:100],
        "detail": detail[:2000],
    }
