"""Revaluation of pledge-backed loans when a pledged right lapses or nears the end of its term."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.valuation.domain import RightFacts, impairment_reason
from shared.envelope import Envelope
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS
from tests.unit.valuation_harness import (
    APPLICATIONS,
    PATENT,
    RIGHTS,
    SECOND_PATENT,
    TRADEMARK,
    Service,
    envelope,
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
    await service.record_patent(SECOND_PATENT)

    lapse = await service.record_patent(PATENT, status="terminated", version=2)
    [impaired] = service.events("valuation.impaired")

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
    assert payload["detected_at"] == service.clock.now().isoformat()
    revalued = _completed(service, payload["valuation_id"])
    assert revalued["requested_by"] == "revaluation"
    assert revalued["reference"] == loan_id
    assert revalued["central"] == payload["new_central"]
    assert revalued["rights"][0]["zero_reason"] == "right.lapsed"

    await service.deliver(REGISTRY_RIGHTS, lapse)
    await service.record_patent(PATENT, status="terminated", version=3)
    await service.record_patent(SECOND_PATENT, status="terminated", version=2)
    assert service.handled(RIGHTS) == 6
    assert len(service.events("valuation.impaired")) == 1
    assert len(service.events("valuation.completed")) == 2


async def test_each_impairment_of_a_loan_carries_the_next_version(service: Service) -> None:
    loan_id, _ = await _disbursed_loan(service, [("patent", PATENT), ("trademark", TRADEMARK)])

    await service.record_patent(PATENT, status="terminated", version=2)
    await service.record_trademark(TRADEMARK, status="revoked", version=2)

    first, second = service.events("valuation.impaired")
    assert [(e.aggregate_id, e.aggregate_version) for e in (first, second)] == [
        (loan_id, 1),
        (loan_id, 2),
    ]
    assert (second.payload["right_number"], second.payload["reason"]) == (
        TRADEMARK,
        "right.revoked",
    )
    assert second.payload["previous_central"] == first.payload["new_central"]
    assert Decimal(second.payload["new_central"]) == 0
    assert _completed(service, second.payload["valuation_id"])["central"] == "0.00"


@pytest.mark.parametrize("event_type", ["credit.loan.repaid", "credit.pledge_release.requested"])
async def test_a_released_loan_is_no_longer_watched(service: Service, event_type: str) -> None:
    loan_id, _ = await _disbursed_loan(service, [("patent", PATENT)])
    await service.deliver(CREDIT_LOANS, envelope(event_type, loan_id, {"loan_id": loan_id}))
    assert service.handled(APPLICATIONS) == 3

    await service.record_patent(PATENT, status="terminated", version=2)
    await service.disburse(loan_id)
    await service.record_patent(PATENT, status="expired", version=3)

    assert service.handled(RIGHTS) == 3
    assert not service.events("valuation.impaired")


async def test_a_disbursement_published_again_follows_the_loan_once(service: Service) -> None:
    loan_id, _ = await _disbursed_loan(service, [("patent", PATENT)])

    await service.disburse(loan_id)
    await service.record_patent(PATENT, status="terminated", version=2)

    assert service.handled(APPLICATIONS) == 3
    [impaired] = service.events("valuation.impaired")
    assert impaired.aggregate_version == 1


async def test_a_term_nearing_its_end_impairs_the_loan(service: Service) -> None:
    loan_id, completed = await _disbursed_loan(service, [("patent", PATENT)])
    term_end = (service.clock.now().date() + timedelta(days=400)).isoformat()

    await service.record_patent(PATENT, version=2, term_end=term_end)
    [impaired] = service.events("valuation.impaired")

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


async def test_a_shorter_minimum_term_does_not_impair_the_loan() -> None:
    relaxed = Service(impairment_min_remaining_years=1)
    async with relaxed.client:
        await _disbursed_loan(relaxed, [("patent", PATENT)])
        term_end = (relaxed.clock.now().date() + timedelta(days=400)).isoformat()

        await relaxed.record_patent(PATENT, version=2, term_end=term_end)

    assert not relaxed.events("valuation.impaired")


async def test_disbursement_of_a_loan_never_valued_is_dead_lettered(service: Service) -> None:
    await service.disburse("unknown-loan")

    [dead] = service.dead_lettered(APPLICATIONS)
    assert dead.header("dlq.reason") == "loan.not_valued"


async def _disbursed_loan(
    service: Service, collateral: list[tuple[str, str]]
) -> tuple[str, Envelope]:
    for right_type, number in collateral:
        if right_type == "patent":
            await service.record_patent(number)
        else:
            await service.record_trademark(number)
    application, completed = await service.apply(collateral)
    loan_id = application.payload["loan_id"]
    await service.disburse(loan_id)
    assert service.handled(APPLICATIONS) == 2
    return loan_id, completed


def _completed(service: Service, valuation_id: str) -> dict[str, Any]:
    [found] = [
        e.payload
        for e in service.events("valuation.completed")
        if e.payload["valuation_id"] == valuation_id
    ]
    return found
