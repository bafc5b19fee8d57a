"""Bulk loading of the register, with a report of every row that was rejected and why."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.registry.entrypoints.deps import OFFICE
from services.registry.entrypoints.schemas import PatentIn, TrademarkIn
from services.registry.service_layer import handlers
from shared.auth import staff
from shared.http import Messages, field_error
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(*OFFICE))],
    responses=problem_responses(401, 403, 422),
)

MAX_ROWS = 2000


class BulkIn(BaseModel):
    """Rows as they come from the source; each is validated on its own."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "number": "CN201710601862.3",
                            "title": "Wide-angle lens assembly",
                            "holders": [
                                {
                                    "name": "Shanghai Lens Optics Co., Ltd.",
                                    "uscc": "91310115MA1K3YJ675",
                                }
                            ],
                            "filing_date": "2017-07-21",
                            "grant_date": "2020-03-10",
                            "legal_status": "valid",
                            "fees_paid_through": "2027-07-20",
                        }
                    ]
                }
            ]
        }
    )

    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description="Register entries, each shaped as the single-entry PUT body; up to 2000",
    )


class RowReport(BaseModel):
    row: int = Field(description="Position in the request, from 0")
    number: str | None = Field(description="The right's number when it could be read")
    status: Literal["recorded", "rejected"] = Field(
        description="recorded, or rejected with its errors"
    )
    errors: list[dict[str, Any]] = Field(description="Why a row was rejected: field, message, code")


class BulkReport(BaseModel):
    recorded: int = Field(description="Rows entered or updated on the register")
    rejected: int = Field(description="Rows rejected and not recorded")
    rows: list[RowReport] = Field(description="One report per row, in request order")


def _validate(
    model: type[PatentIn] | type[TrademarkIn], rows: list[dict[str, Any]]
) -> tuple[list[Any], list[RowReport]]:
    accepted: list[Any] = []
    reports: list[RowReport] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        raw_number = row.get("number")
        try:
            entry = model.model_validate(row)
        except ValidationError as exc:
            errors = [field_error(e, skip=0) for e in exc.errors()]
            reports.append(
                RowReport(row=index, number=raw_number, status="rejected", errors=errors)
            )
            continue
        if entry.number in seen:
            duplicate = {"field": "number", "message": "listed twice", "code": "row.duplicate"}
            reports.append(
                RowReport(row=index, number=entry.number, status="rejected", errors=[duplicate])
            )
            continue
        seen.add(entry.number)
        accepted.append(entry)
        reports.append(RowReport(row=index, number=entry.number, status="recorded", errors=[]))
    return accepted, reports


async def _load(
    messages: Messages, model: type[PatentIn] | type[TrademarkIn], body: BulkIn
) -> BulkReport:
    accepted, reports = _validate(model, body.rows)
    if accepted:
        rights = tuple(entry.to_domain() for entry in accepted)
        await messages.handle(handlers.RecordRights(rights))
    rejected = sum(1 for r in reports if r.status == "rejected")
    return BulkReport(recorded=len(accepted), rejected=rejected, rows=reports)


@router.post("/patents/bulk", response_model=BulkReport, responses=problem_responses(409))
async def load_patents(body: BulkIn, messages: Messages) -> BulkReport:
    """Enter or update many patents; valid rows are recorded together, the rest reported."""
    return await _load(messages, PatentIn, body)


@router.post("/trademarks/bulk", response_model=BulkReport, responses=problem_responses(409))
async def load_trademarks(body: BulkIn, messages: Messages) -> BulkReport:
    """Enter or update many trademarks; valid rows are recorded together, the rest reported."""
    return await _load(messages, TrademarkIn, body)
