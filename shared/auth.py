"""Credentials: signed bearer tokens naming one bank or one member of the registry office staff.

Tokens are JWTs (HS256, verified by PyJWT) with `sub` (the bank id or the staff member),
`role`, `iat`, `exp` and `iss`. Bank-facing routes accept only the `bank` role; internal routes
accept only staff roles, each route naming the roles it allows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request

from shared.problems import Problem
from shared.settings import ServiceSettings

ISSUER = "pledgeflow"


class Role(enum.StrEnum):
    BANK = "bank"
    EXAMINER = "examiner"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    CREDIT_OFFICER = "credit_officer"
    APPRAISER = "appraiser"


STAFF_ROLES = frozenset(Role) - {Role.BANK}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a bank id or a staff member, with the role the token grants."""

    subject: str
    role: Role
    uscc: str | None = None


class Credentials:
    """Issues and verifies tokens with one signing key."""

    def __init__(self, signing_key: str, ttl: timedelta = timedelta(hours=8)) -> None:
        if len(signing_key) < 32:
            raise ValueError("the signing key must be at least 32 characters")
        self._key = signing_key
        self._ttl = ttl

    def issue(
        self,
        subject: str,
        role: Role,
        *,
        uscc: str | None = None,
        ttl: timedelta | None = None,
        now: datetime | None = None,
    ) -> str:
        """A signed token for `subject` in `role` (a bank's carries its USCC)."""
        issued = now or datetime.now(UTC)
        claims: dict[str, object] = {
            "sub": subject,
            "role": role.value,
            "iss": ISSUER,
            "iat": int(issued.timestamp()),
            "exp": int((issued + (ttl or self._ttl)).timestamp()),
        }
        if uscc:
            claims["uscc"] = uscc
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; a `Problem` (401) otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "role", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "auth.expired", "The credential has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Problem(401, "auth.invalid", "The credential is not valid", str(exc)) from exc
        try:
            return Principal(str(claims["sub"]), Role(claims["role"]), claims.get("uscc"))
        except ValueError as exc:
            raise Problem(401, "auth.invalid", "The credential names no known role") from exc


def credentials_for(settings: ServiceSettings) -> Credentials:
    """The credentials of a service, from its settings."""
    return Credentials(
        settings.auth_signing_key.get_secret_value(),
        ttl=timedelta(hours=settings.auth_token_ttl_hours),
    )


def principal(request: Request) -> Principal:
    """The verified caller of a request; 401 without a valid bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "auth.missing", "A bearer credential is required")
    credentials: Credentials = request.app.state.credentials
    return credentials.verify(token.strip())


def bank(request: Request) -> Principal:
    """The calling bank; staff credentials are refused."""
    caller = principal(request)
    if caller.role is not Role.BANK:
        raise Problem(403, "auth.bank_only", "This endpoint is for banks")
    return caller


def staff(*roles: Role) -> Callable[[Request], Principal]:
    """A dependency admitting only staff in one of `roles`; bank credentials are refused."""
    allowed = frozenset(roles) or STAFF_ROLES

    def dependency(request: Request) -> Principal:
        caller = principal(request)
        if caller.role is Role.BANK:
            raise Problem(403, "auth.staff_only", "This endpoint is for registry office staff")
        if caller.role not in allowed:
            raise Problem(403, "auth.role_forbidden", f"Role {caller.role} may not do this")
        return caller

    return dependency


CallingBank = Annotated[Principal, Depends(bank)]


def bearer_headers(
    credentials: Credentials, subject: str, role: Role, uscc: str | None = None
) -> dict[str, str]:
    """Request headers carrying a fresh credential (for clients, tools and tests)."""
    return {"Authorization": f"Bearer {credentials.issue(subject, role, uscc=uscc)}"}
