"""Problem details (RFC 9457): how every refusal is answered over HTTP, with a stable code."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from shared.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
    kind_of,
)

PROBLEM_JSON = "application/problem+json"


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


# The HTTP error table: the status that answers each kind of refusal.
STATUS_OF_KIND: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    Unavailable: 503,
    DomainError: 422,
}


def refusal_response(exc: DomainError) -> JSONResponse:
    """A domain refusal as problem details, its status chosen by its kind."""
    status = STATUS_OF_KIND[kind_of(exc)]
    return problem_response(status, exc.code, exc.title, exc.detail, exc.errors)
