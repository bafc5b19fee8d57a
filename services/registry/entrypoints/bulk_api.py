"""Bulk loading of the register, with a report of every row that was rejected and why."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.registry.domain.entries import patent_problems, trademark_problems
from services.registry.entrypoints.deps import OFFICE, NowDep
from services.registry.entrypoints.schemas import PatentIn, TrademarkIn
from services.registry.service_layer import handlers
from shared.auth import staff
from shared.fields import RequestModel
from shared.http import Messages, field_error
from shared.openapi import FieldProblem, problem_responses
from shared.workdays import beijing_date

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(*OFFICE))],
    responses=problem_responses(401, 403, 422),
)

MAX_ROWS = 2000


class BulkIn(RequestModel):
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
    errors: list[FieldProblem] = Field(
        description="Why a row was rejected: field, message and code of each problem"
    )


class BulkReport(BaseModel):
    recorded: int = Field(description="Rows entered or updated on the register")
    rejected: int = Field(description="Rows rejected and not recorded")
    rows: list[RowReport] = Field(description="One report per row, in request order")


def _validate(
    model: type[PatentIn] | type[TrademarkIn], rows: list[dict[str, Any]], today: date
) -> tuple[list[Any], list[RowReport]]:
    accepted: list[Any] = []
    reports: list[RowReport] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        entry, errors = _read_row(model, row, today)
        number = entry.number if entry is not None else _number_as_sent(row)
        if entry is not None and not errors and entry.number in seen:
            errors = [FieldProblem(field="number", message="listed twice", code="row.duplicate")]
        if entry is None or errors:
            reports.append(RowReport(row=index, number=number, status="rejected", errors=errors))
            continue
        seen.add(entry.number)
        accepted.append(entry)
        reports.append(RowReport(row=index, number=number, status="recorded", errors=[]))
    return accepted, reports


def _read_row(
    model: type[PatentIn] | type[TrademarkIn], row: dict[str, Any], today: date
) -> tuple[PatentIn | TrademarkIn | None, list[FieldProblem]]:
    """The row as an entry, and why it cannot be entered (its form, then its contradictions)."""
    try:
        entry = model.model_validate(row)
    except ValidationError as exc:
        return None, [FieldProblem(**field_error(e, skip=0)) for e in exc.errors()]
    if isinstance(entry, PatentIn):
        problems = patent_problems(entry.to_domain(), today)
    else:
        problems = trademark_problems(entry.to_domain())
    return entry, [FieldProblem(code=p.code, field=p.field, message=p.message) for p in problems]


def _number_as_sent(row: Any) -> str | None:
    number = row.get("number") if isinstance(row, dict) else None
    return number[:40] if isinstance(number, str) else None


async def _load(
    messages: Messages,
    model: type[PatentIn] | type[TrademarkIn],
    body: BulkIn,
    now: datetime,
) -> BulkReport:
    today = beijing_date(now)
    accepted, reports = _validate(model, body.rows, today)
    if accepted:
        rights = tuple(entry.to_domain() for entry in accepted)
        await messages.handle(handlers.RecordRights(rights, today))
    rejected = sum(1 for r in reports if r.status == "rejected")
    return BulkReport(recorded=len(accepted), rejected=rejected, rows=reports)


@router.post("/patents/bulk", response_model=BulkReport, responses=problem_responses(409))
async def load_patents(body: BulkIn, messages: Messages, now: NowDep) -> BulkReport:
    """Enter or update many patents; valid rows are recorded together, the rest reported.

    A row is rejected for its form (the single-entry body's rules) or for contradicting
    itself (`register.entry_contradictory` codes such as `patent.grant_before_filing`).
    """
    return await _load(messages, PatentIn, body, now)


@router.post("/trademarks/bulk", response_model=BulkReport, responses=problem_responses(409))
async def load_trademarks(body: BulkIn, messages: Messages, now: NowDep) -> BulkReport:
    """Enter or update many trademarks; valid rows are recorded together, the rest reported."""
    return await _load(messages, TrademarkIn, body, now)
