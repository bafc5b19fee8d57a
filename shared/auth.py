"""Who may call what: bearer credentials checked on every route, banks admitted by the directory.

A credential (see `shared.tokens`) names a bank (role `bank`, `sub` = the bank id) or a member
of staff (a staff role). Bank-facing routes accept only banks that the bank directory lists as
active, and take the bank's USCC from the directory; internal routes accept only staff roles,
each route naming the roles it allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from shared.banks import BankDirectory
from shared.issuer import DEVELOPMENT_ISSUER_DIR
from shared.problems import Problem
from shared.settings import ServiceSettings
from shared.tokens import (
    DEVELOPMENT_ISSUER,
    STAFF_ROLES,
    KeysChanged,
    Principal,
    Role,
    TokenVerifier,
    TrustedIssuer,
    audience,
    load_trusted_issuers,
    production_problems,
)

__all__ = [
    "STAFF_ROLES",
    "CallingBank",
    "Principal",
    "Role",
    "bank",
    "bearer",
    "principal",
    "staff",
    "verifier_for",
]


def trusted_issuers(settings: ServiceSettings) -> list[TrustedIssuer]:
    """The issuers a service trusts; production refuses the development issuer."""
    if settings.auth_issuers_file is None:
        issuers = [
            TrustedIssuer(
                DEVELOPMENT_ISSUER,
                str(DEVELOPMENT_ISSUER_DIR / "jwks.json"),
                banks=frozenset({"*"}),
                staff_roles=STAFF_ROLES,
            )
        ]
    else:
        issuers = load_trusted_issuers(settings.auth_issuers_file)
    if settings.environment == "production":
        problems = production_problems(issuers)
        if problems:
            raise ValueError("production refuses to trust: " + "; ".join(problems))
    return issuers


def verifier_for(
    settings: ServiceSettings, service: str, on_keys_changed: KeysChanged | None = None
) -> TokenVerifier:
    """The credential verifier of a service, from its settings; `on_keys_changed` hears each
    change of an issuer's signing keys."""
    return TokenVerifier(
        audience(service),
        trusted_issuers(settings),
        max_lifetime=timedelta(hours=settings.auth_max_token_lifetime_hours),
        leeway=timedelta(seconds=settings.auth_clock_skew_seconds),
        cache_seconds=settings.auth_jwks_cache_seconds,
        on_keys_changed=on_keys_changed,
    )


# Where the verified caller's subject is left in the request's scope, for the access log.
CALLER_KEY = "pledgeflow.caller"


async def principal(request: Request) -> Principal:
    """The verified caller of a request; 401 without a valid bearer credential."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "auth.missing", "A bearer credential is required")
    verifier: TokenVerifier = request.app.state.verifier
    caller = await verifier.verify(token.strip())
    request.scope[CALLER_KEY] = caller.subject
    return caller


async def bank(request: Request) -> Principal:
    """The calling bank, active in the bank directory, with the directory's USCC."""
    caller = await principal(request)
    if caller.role is not Role.BANK:
        raise Problem(403, "auth.bank_only", "This endpoint is for banks")
    directory: BankDirectory = request.app.state.bank_directory
    listed = directory.admit(caller.subject)
    return replace(caller, uscc=listed.uscc)


def staff(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only staff in one of `roles`; bank credentials are refused."""
    allowed = frozenset(roles) or STAFF_ROLES

    async def dependency(request: Request) -> Principal:
        caller = await principal(request)
        if caller.role is Role.BANK:
            raise Problem(403, "auth.staff_only", "This endpoint is for registry office staff")
        if caller.role not in allowed:
            raise Problem(403, "auth.role_forbidden", f"Role {caller.role} may not do this")
        return caller

    return dependency


CallingBank = Annotated[Principal, Depends(bank)]


def bearer(token: str) -> dict[str, str]:
    """Request headers carrying a credential."""
    return {"Authorization": f"Bearer {token}"}
