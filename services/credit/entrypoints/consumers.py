"""Events credit reacts to: valuations, sign-offs, impairments and pledge outcomes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial

from pydantic import BaseModel

from services.credit.domain.policy import RightAppraisal
from services.credit.service_layer import calendar as calendars
from services.credit.service_layer import handlers, servicing
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.calendars import CALENDAR_TOPIC, CalendarBook, StoredSchedule
from shared.consumer import PermanentError, parse_payload
from shared.envelope import Envelope
from shared.runtime import ConsumerSpec
from shared.uow import UnitOfWork
from shared.workdays import Notice, YearSchedule

VALUATIONS_TOPIC = "pledgeflow.valuation.valuations"
PLEDGES_TOPIC = "pledgeflow.registry.pledges"
CREDIT = "credit"
PROVISIONAL = "provisional"
SIGNED_OFF = frozenset({"approved", "adjusted"})


class _RightValue(BaseModel):
    number: str
    kind: str
    central: Decimal
    zero_reason: str | None = None
    expiry_date: date | None = None


class _ValuationCompleted(BaseModel):
    valuation_id: str
    requested_by: str
    reference: str | None = None
    rights: list[_RightValue]
    central: Decimal = Decimal("0.00")
    status: str = "final"


class _ValuationSignedOff(BaseModel):
    valuation_id: str
    requested_by: str
    reference: str | None = None
    outcome: str
    rights: list[_RightValue]
    appraiser_id: str
    reason: str | None = None


class _ValuationImpaired(BaseModel):
    loan_reference: str
    right_number: str
    reason: str
    previous_central: Decimal
    new_central: Decimal
    valuation_id: str


class _Party(BaseModel):
    uscc: str


class _PledgeOutcome(BaseModel):
    filing_reference: str | None = None
    registration_number: str | None = None
    pledgee: _Party
    patents: list[str] = []
    trademarks: list[str] = []
    findings: list[dict[str, object]] = []
    registered_at: datetime | None = None


class _PledgeCancelled(BaseModel):
    registration_number: str
    filing_reference: str | None = None
    reason: str
    cancelled_at: datetime


class _YearPublished(BaseModel):
    year: int
    version: int
    holidays: list[date]
    makeup_workdays: list[date]
    notice_reference: str
    notice_published_on: date
    entered_by: str
    entered_at: datetime


def _appraisals(rights: list[_RightValue]) -> tuple[RightAppraisal, ...]:
    return tuple(
        RightAppraisal(r.number, r.kind, r.central, r.zero_reason, r.expiry_date) for r in rights
    )


def _credit(uow: UnitOfWork) -> CreditUnitOfWork:
    assert isinstance(uow, CreditUnitOfWork)
    return uow


async def on_valuation(deps: CreditDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Decide on a final valuation; wait for the appraiser on a provisional one."""
    body = parse_payload(_ValuationCompleted, envelope)
    if body.reference is None or body.requested_by != CREDIT:
        return
    command = handlers.RecordValuation(
        body.reference,
        body.valuation_id,
        _appraisals(body.rights),
        provisional=body.status == PROVISIONAL,
        central=body.central,
    )
    await handlers.record_valuation(command, deps, _credit(uow))


async def on_signed_off(deps: CreditDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Decide on the signed-off values; a valuation not signed off lends nothing."""
    body = parse_payload(_ValuationSignedOff, envelope)
    if body.reference is None or body.requested_by != CREDIT:
        return
    rights = _appraisals(body.rights)
    if body.outcome not in SIGNED_OFF:
        rights = tuple(
            RightAppraisal(r.number, r.kind, Decimal("0.00"), "valuation.not_signed_off")
            for r in rights
        )
    command = handlers.RecordValuation(body.reference, body.valuation_id, rights)
    await handlers.record_valuation(command, deps, _credit(uow))


async def on_impaired(deps: CreditDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Raise a risk alert when the collateral of a live loan lost value."""
    body = parse_payload(_ValuationImpaired, envelope)
    command = servicing.RecordImpairment(
        body.loan_reference,
        body.right_number,
        body.reason,
        body.previous_central,
        body.new_central,
        body.valuation_id,
    )
    await servicing.record_impairment(command, deps, _credit(uow))


async def on_pledge_outcome(
    deps: CreditDeps, registered: bool, envelope: Envelope, uow: UnitOfWork
) -> None:
    """Disburse on a registered pledge; withdraw the offer on a refused one."""
    body = parse_payload(_PledgeOutcome, envelope)
    if body.filing_reference is None:
        return
    command = handlers.RecordPledgeOutcome(
        loan_id=body.filing_reference,
        registered=registered,
        registration_number=body.registration_number,
        pledgee_uscc=body.pledgee.uscc,
        rights=frozenset(body.patents + body.trademarks),
        reasons=tuple(str(f.get("code")) for f in body.findings),
        registered_at=body.registered_at,
    )
    await handlers.record_pledge_outcome(command, deps, _credit(uow))


async def on_cancelled(deps: CreditDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Close a repaid loan whose pledge the registry cancelled."""
    body = parse_payload(_PledgeCancelled, envelope)
    command = servicing.RecordPledgeCancelled(
        body.registration_number, body.filing_reference, body.reason, body.cancelled_at
    )
    await servicing.record_pledge_cancelled(command, deps, _credit(uow))


async def on_year_published(book: CalendarBook, envelope: Envelope, uow: UnitOfWork) -> None:
    """Store the registry's schedule for a year and put it in force (an older version than the
    one stored changes nothing)."""
    body = parse_payload(_YearPublished, envelope)
    schedule = YearSchedule(
        body.year,
        frozenset(body.holidays),
        frozenset(body.makeup_workdays),
        body.version,
        Notice(body.notice_reference, body.notice_published_on),
    )
    problems = schedule.problems()
    if body.version < 1 or problems:
        raise PermanentError("calendar.schedule_invalid", "; ".join(problems) or "version < 1")
    stored = StoredSchedule(schedule, body.entered_by, body.entered_at)
    if await calendars.receive_schedule(stored, _credit(uow)):
        book.install(stored)


def credit_consumers(deps: CreditDeps, book: CalendarBook) -> list[ConsumerSpec]:
    """The consumer groups of the credit service."""
    return [
        ConsumerSpec(
            name="credit.calendar",
            topics=(CALENDAR_TOPIC,),
            handlers={"registry.calendar.year_published": partial(on_year_published, book)},
        ),
        ConsumerSpec(
            name="credit.valuations",
            topics=(VALUATIONS_TOPIC,),
            handlers={
                "valuation.completed": partial(on_valuation, deps),
                "valuation.signed_off": partial(on_signed_off, deps),
                "valuation.impaired": partial(on_impaired, deps),
            },
        ),
        ConsumerSpec(
            name="credit.pledges",
            topics=(PLEDGES_TOPIC,),
            handlers={
                "registry.pledge.registered": partial(on_pledge_outcome, deps, True),
                "registry.filing.refused": partial(on_pledge_outcome, deps, False),
                "registry.pledge.cancelled": partial(on_cancelled, deps),
            },
        ),
    ]
