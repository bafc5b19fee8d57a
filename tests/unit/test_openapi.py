"""The OpenAPI documents tell their users every field, an example body and every error."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from tests.unit.test_access_matrix import PUBLIC, _apps

GENERATED = frozenset({"HTTPValidationError", "ValidationError"})
PROBLEM_REF = "#/components/schemas/ProblemDetails"
METHODS = frozenset({"get", "put", "post", "patch", "delete"})


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    return {service: app.openapi() for service, app in _apps(tmp).items()}


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _undescribed(doc: dict[str, Any]) -> Iterator[str]:
    for name, schema in doc["components"]["schemas"].items():
        if name in GENERATED or "properties" not in schema:
            continue
        for prop, spec in schema["properties"].items():
            if not str(spec.get("description", "")).strip():
                yield f"{name}.{prop}"


def _has_example(doc: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = media.get("schema", {})
    candidates = [schema, _resolve(doc, schema)]
    candidates += [_resolve(doc, s) for s in schema.get("anyOf", [])]
    return any(c.get("examples") or c.get("example") is not None for c in candidates)


def _missing(doc: dict[str, Any]) -> Iterator[str]:
    yield from (f"no description: {field}" for field in _undescribed(doc))
    for method, path, operation in _operations(doc):
        where = f"{method} {path}"
        responses = operation.get("responses", {})
        body = operation.get("requestBody")
        if body and not any(_has_example(doc, m) for m in body.get("content", {}).values()):
            yield f"no request example: {where}"
        if path.startswith(("/v1", "/internal")) and not path.startswith(PUBLIC):
            for status in ("401", "403"):
                if status not in responses:
                    yield f"no {status}: {where}"
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            if "404" not in responses:
                yield f"no 404: {where}"
        for status, response in responses.items():
            if not status.startswith("4"):
                continue
            content = response.get("content", {})
            refs = {m.get("schema", {}).get("$ref") for m in content.values()}
            if "application/problem+json" not in content or refs != {PROBLEM_REF}:
                yield f"{status} not problem details: {where}"


@pytest.mark.parametrize("service", ["registry", "valuation", "credit"])
def test_the_openapi_document_is_complete(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    missing = sorted(set(_missing(documents[service])))
    assert not missing, "\n".join(missing)


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _body_models(route: APIRoute) -> Iterator[type[BaseModel]]:
    for param in route.dependant.body_params:
        annotation = param.field_info.annotation
        for candidate in (annotation, *typing.get_args(annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                yield candidate


def test_every_request_example_is_accepted(tmp_path: Path) -> None:
    rejected: list[str] = []
    checked = 0
    for service, app in _apps(tmp_path).items():
        for route in _api_routes(app.routes):
            for model in _body_models(route):
                extra = model.model_config.get("json_schema_extra")
                examples = extra.get("examples") if isinstance(extra, dict) else None
                for example in examples if isinstance(examples, list) else []:
                    checked += 1
                    try:
                        model.model_validate(example)
                    except ValueError as exc:
                        rejected.append(f"{service} {route.name} {model.__name__}: {exc}")
    assert not rejected, "\n".join(rejected)
    assert checked >= 20


def test_the_problem_details_schema_is_published(documents: dict[str, dict[str, Any]]) -> None:
    for doc in documents.values():
        problem = doc["components"]["schemas"]["ProblemDetails"]
        assert {"type", "title", "status", "code", "detail", "errors"} <= set(problem["properties"])


MONEY_MOVING = (("post", "/v1/loans/{loan_id}/repayments"), ("post", "/v1/loans/{loan_id}/default"))


@pytest.mark.parametrize(("method", "path"), MONEY_MOVING)
def test_money_moving_writes_declare_a_required_idempotency_key(
    documents: dict[str, dict[str, Any]], method: str, path: str
) -> None:
    operation = documents["credit"]["paths"][path][method]
    [key] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert (key["in"], key["required"]) == ("header", True)
    assert "idempotency.key_required" in operation["responses"]["428"]["description"]
