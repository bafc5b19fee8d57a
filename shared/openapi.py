"""Error responses declared in the services' OpenAPI documents, as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Dotted path of the field in the request, e.g. `pledgor.uscc`")
    message: str = Field(description="Why the value is not accepted")
    code: str = Field(description="Stable machine-readable code, e.g. `uscc.check_character`")


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
                            "code": "uscc.check_character",
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
    error_id: str | None = Field(
        default=None,
        description="For an unexpected error (500): the id under which the error is logged",
    )


DESCRIPTIONS = {
    400: "Bad request: the body cannot be read (not JSON, not UTF-8)",
    401: "Missing, expired or invalid credential (`auth.missing`, `auth.expired`, `auth.invalid`)",
    403: "The credential's role may not call this route, or the action is another party's",
    404: "Not found; another bank's resource is answered the same as a missing one",
    409: "Conflict with the resource's current state, or a concurrent duplicate write",
    413: "The body is larger than the service accepts (`request.too_large`)",
    422: "Invalid input; `errors` lists each invalid field with its message and code. Besides "
    "what the schema states, the service checks rules a schema cannot express: check "
    "characters of identifiers, dates in the right order, facts of the register",
    428: "The write moves money and needs an `Idempotency-Key` (`idempotency.key_required`)",
    500: "Unexpected error (`server.error`); `error_id` names the log entry of the error",
    502: "Another service this one asked did not answer (e.g. "
    "`reconciliation.registry_unavailable`)",
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


def declare_common_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the answers any operation may give: 500; with a body also 400, 413 and 422."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            statuses = [500]
            if "requestBody" in operation:
                statuses = [400, 413, 422, 500]
            if any(p.get("in") == "header" for p in operation.get("parameters", [])):
                statuses += [400]
            responses = operation.setdefault("responses", {})
            for status in statuses:
                if str(status) not in responses:
                    responses[str(status)] = {
                        "description": DESCRIPTIONS[status],
                        "content": {
                            PROBLEM_JSON: {
                                "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                            }
                        },
                    }
    return document
