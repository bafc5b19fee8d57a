"""Rules the registry enforces, answered as problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.registry.domain.errors import (
    ChangeRefused,
    EntryContradictory,
    NothingToChange,
    RegistryRuleBroken,
    ScheduleInvalid,
)
from services.registry.service_layer.errors import NotFound
from shared.http import problem_response

UNPROCESSABLE = frozenset(
    {ScheduleInvalid.code, ChangeRefused.code, NothingToChange.code, EntryContradictory.code}
)


def install_problems(app: FastAPI) -> None:
    """Broken rules answer 409 (422 for invalid content), unknown resources 404."""

    @app.exception_handler(RegistryRuleBroken)
    async def _rule(_: Request, exc: RegistryRuleBroken) -> JSONResponse:
        status = 422 if exc.code in UNPROCESSABLE else 409
        errors: list[dict[str, Any]] = list(exc.errors)
        return problem_response(status, exc.code, exc.title, exc.detail, errors)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem_response(404, exc.code, exc.title, str(exc))
