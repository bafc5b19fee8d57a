"""Events the registry reacts to (pledge filings and releases sent by credit), each turned into
a command for the registry's message bus."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from services.registry.domain.amendments import CancellationReason
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.service_layer import handlers, pledges
from shared.consumer import PermanentError, Reaction, parse_payload
from shared.envelope import Envelope
from shared.fields import Line, Message
from shared.identifiers import InvalidIdentifier, normalize_uscc, parse_patent_number
from shared.kernel.clock import Clock
from shared.ledger_heads import ledger_consumer
from shared.runtime import ConsumerSpec
from shared.topics import CREDIT_LOANS
from shared.workdays import beijing_date


class _Party(BaseModel):
    name: Line = Field(max_length=200)
    uscc: str
    address: Line = Field(max_length=500)


class _FilingRequested(BaseModel):
    filing_reference: Line = Field(max_length=64)
    pledgor: _Party
    pledgee: _Party
    debt_type: Line = Field(max_length=100)
    secured_amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    performance_deadline: date
    patents: list[str] = Field(max_length=100)
    trademarks: list[str] = Field(max_length=100)
    scope_of_guarantee: Message = Field(max_length=1000)


class _ReleaseRequested(BaseModel):
    loan_id: str
    registration_number: str
    reason: Literal["debt_repaid", "pledge_enforced", "pledgee_waived", "contract_void"]
    requested_at: datetime


def _party(party: _Party) -> Party:
    return Party(party.name, normalize_uscc(party.uscc), party.address)


def filing_requested(clock: Clock) -> Reaction:
    """Credit asks for a pledge to be registered: file it on the credit channel."""

    def to_command(envelope: Envelope) -> handlers.FilePledge:
        body = parse_payload(_FilingRequested, envelope)
        try:
            data = PledgeFilingData(
                pledgor=_party(body.pledgor),
                pledgee=_party(body.pledgee),
                debt_type=body.debt_type,
                secured_amount=body.secured_amount,
                performance_deadline=body.performance_deadline,
                patents=tuple(parse_patent_number(n).canonical for n in body.patents),
                trademarks=tuple(body.trademarks),
                scope_of_guarantee=body.scope_of_guarantee,
                filed_on=beijing_date(envelope.occurred_at),
            )
        except InvalidIdentifier as exc:
            raise PermanentError(exc.code, str(exc)) from exc
        return handlers.FilePledge(
            data, channel="credit", filing_reference=body.filing_reference, received_at=clock.now()
        )

    return Reaction(to_command, payload=_FilingRequested)


def release_requested(clock: Clock) -> Reaction:
    """Credit reports the debt repaid: cancel the pledge (a cancelled one stays as it is)."""

    def to_command(envelope: Envelope) -> pledges.ReleasePledge:
        body = parse_payload(_ReleaseRequested, envelope)
        return pledges.ReleasePledge(
            body.loan_id, body.registration_number, CancellationReason(body.reason), clock.now()
        )

    return Reaction(to_command, payload=_ReleaseRequested)


def registry_consumers(clock: Clock) -> list[ConsumerSpec]:
    """The consumer groups of the registry service."""
    return [
        ConsumerSpec(
            name="registry.filings",
            topics=(CREDIT_LOANS,),
            reactions={
                "credit.pledge_filing.requested": filing_requested(clock),
                "credit.pledge_release.requested": release_requested(clock),
            },
        ),
        ledger_consumer("registry"),
    ]
