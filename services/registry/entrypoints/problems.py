"""Rules the registry enforces, answered as problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.registry.domain.errors import (
    AcknowledgementNotAWarning,
    AcknowledgementNoteMissing,
    ChangeRefused,
    CorrectionConflictsWithLoan,
    CorrectionFieldsMissing,
    CorrectionNotCorrectable,
    CorrectionNotRequested,
    NothingToChange,
    RefusalExplanationMissing,
    RegistryRuleBroken,
    ScheduleInvalid,
    UnknownRefusalGround,
)
from services.registry.service_layer.errors import NotFound
from shared.http import problem_response

UNPROCESSABLE = frozenset(
    error.code
    for error in (
        ScheduleInvalid,
        ChangeRefused,
        NothingToChange,
        CorrectionNotCorrectable,
        CorrectionNotRequested,
        CorrectionConflictsWithLoan,
        CorrectionFieldsMissing,
        UnknownRefusalGround,
        RefusalExplanationMissing,
        AcknowledgementNotAWarning,
        AcknowledgementNoteMissing,
    )
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
