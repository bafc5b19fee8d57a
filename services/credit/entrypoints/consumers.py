"""Events credit reacts to (valuations, sign-offs, impairments, pledge outcomes), each turned
into a command for credit's message bus."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from services.credit.domain.policy import RightAppraisal
from services.credit.domain.records import RefusalGround
from services.credit.service_layer import commands as c
from services.credit.service_layer.calendar import ReceiveSchedule
from shared.calendars import StoredSchedule
from shared.consumer import PermanentError, Reaction, parse_payload
from shared.envelope import Envelope
from shared.ledger_heads import ledger_consumer
from shared.runtime import ConsumerSpec
from shared.topics import REGISTRY_CALENDAR, REGISTRY_PLEDGES, VALUATIONS
from shared.workdays import Notice, YearSchedule

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


class _Ground(BaseModel):
    code: str
    message: str = ""
    right: str | None = None
    severity: str | None = None


class _PledgeOutcome(BaseModel):
    filing_reference: str | None = None
    pledgee: _Party
    patents: list[str] = []
    trademarks: list[str] = []
    filing_id: str | None = None


class _PledgeRegistered(_PledgeOutcome):
    registration_number: str
    registered_at: datetime | None = None


class _FilingRefused(_PledgeOutcome):
    findings: list[_Ground] = []
    grounds: list[_Ground] = []

    def refusal_grounds(self) -> tuple[RefusalGround, ...]:
        """The grounds the registry names; from an older event, its refusing findings."""
        grounds = self.grounds or [f for f in self.findings if f.severity in (None, "refusal")]
        return tuple(RefusalGround(g.code, g.message, g.right) for g in grounds)


class _FilingReceived(BaseModel):
    filing_id: str
    filing_reference: str | None = None
    channel: str


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


def valuation_completed(envelope: Envelope) -> c.RecordValuation | None:
    """Decide on a final valuation; wait for the appraiser on a provisional one."""
    body = parse_payload(_ValuationCompleted, envelope)
    if body.reference is None or body.requested_by != CREDIT:
        return None
    return c.RecordValuation(
        body.reference,
        body.valuation_id,
        _appraisals(body.rights),
        provisional=body.status == PROVISIONAL,
        central=body.central,
    )


def valuation_signed_off(envelope: Envelope) -> c.RecordValuation | None:
    """Decide on the signed-off values; a valuation not signed off lends nothing."""
    body = parse_payload(_ValuationSignedOff, envelope)
    if body.reference is None or body.requested_by != CREDIT:
        return None
    rights = _appraisals(body.rights)
    if body.outcome not in SIGNED_OFF:
        rights = tuple(
            RightAppraisal(r.number, r.kind, Decimal("0.00"), "valuation.not_signed_off")
            for r in rights
        )
    return c.RecordValuation(body.reference, body.valuation_id, rights)


def valuation_impaired(envelope: Envelope) -> c.RecordImpairment:
    """Raise a risk alert when the collateral of a live loan lost value."""
    body = parse_payload(_ValuationImpaired, envelope)
    return c.RecordImpairment(
        body.loan_reference,
        body.right_number,
        body.reason,
        body.previous_central,
        body.new_central,
        body.valuation_id,
    )


def pledge_registered(envelope: Envelope) -> c.RecordPledgeOutcome | None:
    """Disburse on a registered pledge."""
    body = parse_payload(_PledgeRegistered, envelope)
    if body.filing_reference is None:
        return None
    return c.RecordPledgeOutcome(
        loan_id=body.filing_reference,
        registered=True,
        registration_number=body.registration_number,
        pledgee_uscc=body.pledgee.uscc,
        rights=frozenset(body.patents + body.trademarks),
        reasons=(),
        registered_at=body.registered_at,
        filing_id=body.filing_id,
    )


def filing_refused(envelope: Envelope) -> c.RecordPledgeOutcome | None:
    """Withdraw the offer on a refused pledge, keeping each ground."""
    body = parse_payload(_FilingRefused, envelope)
    if body.filing_reference is None:
        return None
    return c.RecordPledgeOutcome(
        loan_id=body.filing_reference,
        registered=False,
        registration_number=None,
        pledgee_uscc=body.pledgee.uscc,
        rights=frozenset(body.patents + body.trademarks),
        reasons=tuple(f.code for f in body.findings),
        filing_id=body.filing_id,
        grounds=body.refusal_grounds(),
    )


def filing_received(envelope: Envelope) -> c.RecordFilingReceived | None:
    """Note the registry's filing id on the loan whose pledge credit filed."""
    body = parse_payload(_FilingReceived, envelope)
    if body.filing_reference is None or body.channel != CREDIT:
        return None
    return c.RecordFilingReceived(body.filing_reference, body.filing_id)


def pledge_cancelled(envelope: Envelope) -> c.RecordPledgeCancelled:
    """Close a repaid loan whose pledge the registry cancelled."""
    body = parse_payload(_PledgeCancelled, envelope)
    return c.RecordPledgeCancelled(
        body.registration_number, body.filing_reference, body.reason, body.cancelled_at
    )


def year_published(envelope: Envelope) -> ReceiveSchedule:
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
    return ReceiveSchedule(StoredSchedule(schedule, body.entered_by, body.entered_at))


CREDIT_CONSUMERS = (
    ConsumerSpec(
        name="credit.calendar",
        topics=(REGISTRY_CALENDAR,),
        reactions={
            "registry.calendar.year_published": Reaction(year_published, payload=_YearPublished)
        },
    ),
    ConsumerSpec(
        name="credit.valuations",
        topics=(VALUATIONS,),
        reactions={
            "valuation.completed": Reaction(valuation_completed, payload=_ValuationCompleted),
            "valuation.signed_off": Reaction(valuation_signed_off, payload=_ValuationSignedOff),
            "valuation.impaired": Reaction(valuation_impaired, payload=_ValuationImpaired),
        },
    ),
    ConsumerSpec(
        name="credit.pledges",
        topics=(REGISTRY_PLEDGES,),
        reactions={
            "registry.filing.received": Reaction(filing_received, payload=_FilingReceived),
            "registry.pledge.registered": Reaction(pledge_registered, payload=_PledgeRegistered),
            "registry.filing.refused": Reaction(filing_refused, payload=_FilingRefused),
            "registry.pledge.cancelled": Reaction(pledge_cancelled, payload=_PledgeCancelled),
        },
    ),
    ledger_consumer("credit"),
)
