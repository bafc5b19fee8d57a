"""Events credit reacts to: appraisals and pledge outcomes."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from services.credit.domain.policy import Bank, RightAppraisal
from services.credit.service_layer import handlers
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.consumer import Handler, parse_payload
from shared.envelope import Envelope
from shared.runtime import ConsumerSpec
from shared.uow import UnitOfWork

VALUATIONS_TOPIC = "pledgeflow.valuation.valuations"
PLEDGES_TOPIC = "pledgeflow.registry.pledges"


class _RightValue(BaseModel):
    number: str
    kind: str
    central: Decimal
    zero_reason: str | None = None


class _ValuationCompleted(BaseModel):
    valuation_id: str
    requested_by: str
    reference: str | None = None
    rights: list[_RightValue]


class _Party(BaseModel):
    uscc: str


class _PledgeOutcome(BaseModel):
    filing_reference: str | None = None
    registration_number: str | None = None
    pledgee: _Party
    patents: list[str] = []
    trademarks: list[str] = []
    findings: list[dict[str, object]] = []


def credit_consumers(banks: dict[str, Bank]) -> list[ConsumerSpec]:
    """The consumer groups of the credit service."""

    async def on_valuation(envelope: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(uow, CreditUnitOfWork)
        body = parse_payload(_ValuationCompleted, envelope)
        if body.reference is None or body.requested_by != "credit":
            return
        appraisals = tuple(
            RightAppraisal(r.number, r.kind, r.central, r.zero_reason) for r in body.rights
        )
        await handlers.record_valuation(
            handlers.RecordValuation(body.reference, body.valuation_id, appraisals), banks, uow
        )

    def on_pledge(registered: bool) -> Handler:
        async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
            assert isinstance(uow, CreditUnitOfWork)
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
            )
            await handlers.record_pledge_outcome(command, banks, uow)

        return handle

    return [
        ConsumerSpec(
            name="credit.valuations",
            topics=(VALUATIONS_TOPIC,),
            handlers={"valuation.completed": on_valuation},
        ),
        ConsumerSpec(
            name="credit.pledges",
            topics=(PLEDGES_TOPIC,),
            handlers={
                "registry.pledge.registered": on_pledge(True),
                "registry.filing.refused": on_pledge(False),
            },
        ),
    ]
