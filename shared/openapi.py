"""Error responses declared in the services' OpenAPI documents, as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Dotted path of the field in the request, e.g. `pledgor.uscc`")
    message: str = Field(description="Why the value is not accepted")
    code: str = Field(description="Stable machine-readable code, e.g. `uscc.checksum`")


class ProblemDetails(BaseModel):
    """An error, answered as `application/problem+json` (RFC 9457) with a stable `code`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://pledgeflow.example/problems/request.invalid",
                    "title": "The request is not valid",
                    "status": 422,
                    "code": "request.invalid",
                    "errors": [
                        {
                            "field": "pledgor.uscc",
                            "message": "check character does not match",
                            "code": "uscc.checksum",
                        }
                    ],
                }
            ]
        }
    )

    type: str = Field(description="URI identifying the kind of problem; ends with `code`")
    title: str = Field(description="Short human-readable summary of the kind of problem")
    status: int = Field(description="HTTP status code of the response")
    code: str = Field(description="Stable machine-readable code clients can branch on")
    detail: str | None = Field(
        default=None, description="Explanation of this occurrence, e.g. the identifier concerned"
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="Field-level errors of an invalid request"
    )


DESCRIPTIONS = {
    400: "Bad request: the request cannot be read",
    401: "Missing, expired or invalid credential (`auth.missing`, `auth.expired`, `auth.invalid`)",
    403: "The credential's role may not call this route, or the action is another party's",
    404: "Not found; another bank's resource is answered the same as a missing one",
    409: "Conflict with the resource's current state, or a concurrent duplicate write",
    422: "Invalid input; `errors` lists each invalid field with its message and code",
    428: "The write moves money and needs an `Idempotency-Key` (`idempotency.key_required`)",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries declaring the given error statuses as problem details."""
    return {
        status: {
            "model": ProblemDetails,
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
