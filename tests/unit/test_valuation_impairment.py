"""Revaluation of pledge-backed loans when a pledged right lapses or nears the end of its term."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.valuation.domain import RightFacts, impairment_reason
from shared.envelope import Envelope
from shared.identifiers import make_uscc
from tests.dates import days_from_today, now, today, years_from_today
from tests.unit.test_valuation_service import (
    LOANS_TOPIC,
    PATENT,
    SECOND_PATENT,
    TRADEMARK,
    VALUATIONS_TOPIC,
    Service,
    apply,
    envelope,
    eventually,
    publish,
    record_patent,
    record_trademark,
    recorded,
    service,
)

__all__ = ["service"]

AS_OF = date(2026, 6, 1)
FACTS = RightFacts(
    right_type="patent",
    number=PATENT,
    patent_kind="invention",
    filing_date=date(2020, 3, 2),
    grant_date=date(2022, 5, 10),
    expiry_date=date(2040, 3, 1),
    legal_status="valid",
)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"legal_status": "lapsed"}, "right.lapsed"),
        ({"legal_status": "invalid"}, "right.invalid"),
        ({"frozen": True}, "right.frozen"),
        ({"expiry_date": date(2026, 5, 31)}, "right.expired"),
        ({"expiry_date": date(2028, 5, 31)}, "right.term_ending"),
        ({"expiry_date": date(2028, 6, 1)}, None),
    ],
)
def test_impairment_reason(changes: dict[str, Any], reason: str | None) -> None:
    assert impairment_reason(replace(FACTS, **changes), AS_OF, 2) == reason


def test_no_term_ending_without_a_minimum() -> None:
    short = replace(FACTS, expiry_date=date(2026, 7, 1))
    assert impairment_reason(short, AS_OF, 0) is None


async def test_lapse_of_a_pledged_right_impairs_its_loan_once(service: Service) -> None:
    loan_id, completed = await _disbursed_loan(
        service, [("patent", PATENT), ("trademark", TRADEMARK)]
    )
    await record_patent(service, SECOND_PATENT)
    await recorded(service, SECOND_PATENT)

    lapse = await record_patent(service, PATENT, status="terminated", version=2)
    [impaired] = await eventually(lambda: _events(service, "valuation.impaired"))

    payload = impaired.payload
    patent_value, trademark_value = (Decimal(r["central"]) for r in completed.payload["rights"])
    assert (impaired.aggregate_id, impaired.aggregate_version) == (loan_id, 1)
    assert impaired.causation_id == lapse.event_id
    assert payload["loan_reference"] == loan_id
    assert payload["right_number"] == PATENT
    assert payload["reason"] == "right.lapsed"
    assert payload["previous_central"] == completed.payload["central"]
    assert Decimal(payload["new_central"]) == trademark_value
    assert Decimal(payload["previous_right_central"]) == patent_value
    assert Decimal(payload["new_right_central"]) == 0
    assert payload["detected_at"]
    revalued = _completed(service, payload["valuation_id"])
    assert revalued["requested_by"] == "revaluation"
    assert revalued["reference"] == loan_id
    assert revalued["central"] == payload["new_central"]
    assert revalued["rights"][0]["zero_reason"] == "right.lapsed"

    await publish(service.bus, "pledgeflow.registry.rights", lapse)
    await record_patent(service, PATENT, status="terminated", version=3)
    await record_patent(service, SECOND_PATENT, status="terminated", version=2)
    await eventually(lambda: service.handled("valuation.rights") == 6)
    await _published(service)
    assert len(_events(service, "valuation.impaired")) == 1
    assert len(_events(service, "valuation.completed")) == 2


@pytest.mark.parametrize("event_type", ["credit.loan.repaid", "credit.pledge_release.requested"])
async def test_a_released_loan_is_no_longer_watched(service: Service, event_type: str) -> None:
    loan_id, _ = await _disbursed_loan(service, [("patent", PATENT)])
    await publish(service.bus, LOANS_TOPIC, envelope(event_type, loan_id, {"loan_id": loan_id}))
    await eventually(lambda: service.handled("valuation.applications") == 3)

    await record_patent(service, PATENT, status="terminated", version=2)
    await eventually(lambda: service.handled("valuation.rights") == 2)
    await _published(service)

    assert not _events(service, "valuation.impaired")


async def test_a_term_nearing_its_end_impairs_the_loan(service: Service) -> None:
    loan_id, completed = await _disbursed_loan(service, [("patent", PATENT)])
    term_end = days_from_today(400).isoformat()

    await record_patent(service, PATENT, version=2, term_end=term_end)
    [impaired] = await eventually(lambda: _events(service, "valuation.impaired"))

    payload = impaired.payload
    assert payload["loan_reference"] == loan_id
    assert payload["reason"] == "right.term_ending"
    assert 0 < Decimal(payload["new_central"]) < Decimal(payload["previous_central"])
    assert payload["previous_central"] == completed.payload["central"]
    horizon = next(
        d
        for d in _completed(service, payload["valuation_id"])["rights"][0]["drivers"]
        if d["name"] == "horizon"
    )
    assert horizon["value"] == "1 years"


async def test_disbursement_of_a_loan_never_valued_is_dead_lettered(service: Service) -> None:
    await publish(service.bus, LOANS_TOPIC, _disbursed("unknown-loan"))

    [dead] = await eventually(lambda: service.bus.messages("pledgeflow.dlq.valuation.applications"))
    assert dead.header("dlq.reason") == "loan.not_valued"


async def _disbursed_loan(
    service: Service, collateral: list[tuple[str, str]]
) -> tuple[str, Envelope]:
    for right_type, number in collateral:
        if right_type == "patent":
            await record_patent(service, number)
        else:
            await record_trademark(service, number)
        await recorded(service, number)
    application, completed = await apply(service, collateral)
    loan_id = application.payload["loan_id"]
    await publish(service.bus, LOANS_TOPIC, _disbursed(loan_id))
    await eventually(lambda: service.handled("valuation.applications") == 2)
    return loan_id, completed


def _disbursed(loan_id: str) -> Envelope:
    return envelope(
        "credit.loan.disbursed",
        loan_id,
        {
            "loan_id": loan_id,
            "bank_id": "bank-of-test",
            "enterprise_uscc": make_uscc(42),
            "amount": "300000.00",
            "annual_rate": "0.0385",
            "maturity_date": years_from_today(1).isoformat(),
            "pledge_registration_number": f"Y{today().year}000001",
            "inclusive": True,
            "disbursed_at": now().isoformat(),
        },
    )


async def _published(service: Service) -> None:
    async def drained() -> bool:
        return await service.runtime.relay.backlog() == 0

    await eventually(drained)


def _events(service: Service, event_type: str) -> list[Envelope]:
    found = [Envelope.from_json(m.value) for m in service.bus.messages(VALUATIONS_TOPIC)]
    return [e for e in found if e.event_type == event_type]


def _completed(service: Service, valuation_id: str) -> dict[str, Any]:
    [found] = [
        e.payload
        for e in _events(service, "valuation.completed")
        if e.payload["valuation_id"] == valuation_id
    ]
    return found
