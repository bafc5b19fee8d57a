"""Credentials for tests, from the local development issuer the services trust by default."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from shared.auth import Role, bearer
from shared.banks import load_directory
from shared.issuer import LocalIssuer, development_issuer
from shared.migrations import SERVICES
from shared.settings import DEFAULT_BANK_DIRECTORY
from shared.tokens import audience

ISSUER = development_issuer()
EVERY_SERVICE = tuple(audience(service) for service in SERVICES)
DIRECTORY = load_directory(DEFAULT_BANK_DIRECTORY)
BANK_USCCS = {bank_id: bank.uscc for bank_id, bank in DIRECTORY.items()}


class DevelopmentCredentials:
    """Issues development credentials; by default for every service."""

    def __init__(self, issuer: LocalIssuer) -> None:
        self.issuer = issuer

    def issue(
        self,
        subject: str,
        role: Role | None,
        *,
        uscc: str | None = None,
        ttl: timedelta | None = None,
        now: datetime | None = None,
        audience: str | Sequence[str] = EVERY_SERVICE,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A credential; a `uscc` is sent as a claim, which the services ignore."""
        extra = {**(claims or {}), **({"uscc": uscc} if uscc else {})}
        return self.issuer.issue(
            subject, role, audience=audience, ttl=ttl, now=now, claims=extra or None
        )


CREDENTIALS = DevelopmentCredentials(ISSUER)


def bank_headers(
    bank_id: str = "bank-hangzhou",
    uscc: str | None = None,
    audience: str | Sequence[str] = EVERY_SERVICE,
) -> dict[str, str]:
    """Headers of a bank's request."""
    return bearer(CREDENTIALS.issue(bank_id, Role.BANK, uscc=uscc, audience=audience))


def staff_headers(
    subject: str, role: Role, audience: str | Sequence[str] = EVERY_SERVICE
) -> dict[str, str]:
    """Headers of a registry office staff member's request."""
    return bearer(CREDENTIALS.issue(subject, role, audience=audience))


class ActingAs(httpx.Auth):
    """Signs each test request as the party it acts for.

    `X-Bank-Id`, `X-Examiner-Id`, `X-Appraiser-Id` and `X-Officer-Id` headers become
    credentials for that bank or staff member. Without one, a bank-facing request is signed as
    the bank the directory lists with the filing's pledgee USCC when the body names one, else
    as the default bank, and an internal request as an administrator. A request with
    `Authorization` set, or with the header `X-Anonymous`, is sent as it is.
    """

    STAFF_HEADERS = {
        "x-examiner-id": Role.EXAMINER,
        "x-appraiser-id": Role.APPRAISER,
        "x-officer-id": Role.CREDIT_OFFICER,
    }

    def __init__(
        self,
        bank_id: str = "bank-hangzhou",
        audience: str | Sequence[str] = EVERY_SERVICE,
    ) -> None:
        self.bank_id = bank_id
        self.audience = audience

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        anonymous = "x-anonymous" in request.headers
        request.headers.pop("x-anonymous", "")
        if "authorization" in request.headers or anonymous:
            yield request
            return
        request.headers.update(self._credential(request))
        yield request

    def _credential(self, request: httpx.Request) -> dict[str, str]:
        for header, role in self.STAFF_HEADERS.items():
            subject = request.headers.pop(header, None)
            if subject is not None:
                return (
                    staff_headers(subject.strip(), role, self.audience) if subject.strip() else {}
                )
        bank_id = request.headers.pop("x-bank-id", None)
        if bank_id is not None:
            return bank_headers(bank_id, audience=self.audience) if bank_id.strip() else {}
        if request.url.path.startswith("/internal/"):
            return staff_headers("administrator-1", Role.ADMINISTRATOR, self.audience)
        return bank_headers(_pledgee_bank(request) or self.bank_id, audience=self.audience)


def _pledgee_bank(request: httpx.Request) -> str | None:
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return None
    pledgee = body.get("pledgee") if isinstance(body, dict) else None
    uscc = pledgee.get("uscc") if isinstance(pledgee, dict) else None
    return next((bank_id for bank_id, known in BANK_USCCS.items() if known == uscc), None)
