"""Events the registry reacts to: pledge filings sent by credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.service_layer import handlers
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.consumer import PermanentError, parse_payload
from shared.envelope import Envelope
from shared.identifiers import InvalidIdentifier, normalize_uscc, parse_patent_number
from shared.runtime import ConsumerSpec
from shared.uow import UnitOfWork
from shared.workdays import OfficialCalendar, beijing_date

LOANS_TOPIC = "pledgeflow.credit.loans"


class _Party(BaseModel):
    name: str
    uscc: str
    address: str


class _FilingRequested(BaseModel):
    filing_reference: str
    pledgor: _Party
    pledgee: _Party
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: list[str]
    trademarks: list[str]
    scope_of_guarantee: str


def _party(party: _Party) -> Party:
    return Party(party.name, normalize_uscc(party.uscc), party.address)


def registry_consumers(calendar: OfficialCalendar) -> list[ConsumerSpec]:
    """The consumer groups of the registry service."""

    async def on_filing_requested(envelope: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(uow, RegistryUnitOfWork)
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
        command = handlers.FilePledge(
            data, channel="credit", filing_reference=body.filing_reference
        )
        await handlers.file_pledge(command, calendar, uow)

    return [
        ConsumerSpec(
            name="registry.filings",
            topics=(LOANS_TOPIC,),
            handlers={"credit.pledge_filing.requested": on_filing_requested},
        )
    ]
