"""Bearer headers for tests, signed with the development key the services use by default."""

from __future__ import annotations

import json

import httpx

from shared.auth import Credentials, Role, bearer_headers
from shared.settings import DEVELOPMENT_KEY

CREDENTIALS = Credentials(DEVELOPMENT_KEY)
BANK_USCCS = {"bank-hangzhou": "91330100609123456B", "bank-qingdao": "913702007180012344"}


def bank_headers(bank_id: str = "bank-hangzhou", uscc: str | None = None) -> dict[str, str]:
    """Headers of a bank's request."""
    return bearer_headers(CREDENTIALS, bank_id, Role.BANK, uscc=uscc or BANK_USCCS.get(bank_id, ""))


def staff_headers(subject: str, role: Role) -> dict[str, str]:
    """Headers of a registry office staff member's request."""
    return bearer_headers(CREDENTIALS, subject, role)


class ActingAs(httpx.Auth):
    """Signs each test request as the party it acts for.

    `X-Bank-Id`, `X-Examiner-Id`, `X-Appraiser-Id` and `X-Officer-Id` headers become bearer
    credentials for that bank or staff member. Without one, a bank-facing request is signed
    as the default bank, with the filing's pledgee USCC when the body names one, and an
    internal request as an administrator. A request with `Authorization` set, or with the
    header `X-Anonymous`, is sent as it is.
    """

    STAFF_HEADERS = {
        "x-examiner-id": Role.EXAMINER,
        "x-appraiser-id": Role.APPRAISER,
        "x-officer-id": Role.CREDIT_OFFICER,
    }

    def __init__(self, bank_id: str = "bank-hangzhou", bank_uscc: str | None = None) -> None:
        self.bank_id = bank_id
        self.bank_uscc = bank_uscc or BANK_USCCS.get(bank_id, "")

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
                return staff_headers(subject.strip(), role) if subject.strip() else {}
        bank_id = request.headers.pop("x-bank-id", None)
        if bank_id is not None:
            return bank_headers(bank_id) if bank_id.strip() else {}
        if request.url.path.startswith("/internal/"):
            return staff_headers("administrator-1", Role.ADMINISTRATOR)
        return bank_headers(self.bank_id, _pledgee_uscc(request) or self.bank_uscc)


def _pledgee_uscc(request: httpx.Request) -> str | None:
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return None
    pledgee = body.get("pledgee") if isinstance(body, dict) else None
    return pledgee.get("uscc") if isinstance(pledgee, dict) else None
