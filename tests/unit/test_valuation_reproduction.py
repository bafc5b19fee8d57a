"""Reproducibility: a stored valuation runs again to the same figures under its recorded version."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.valuation.adapters.parameters import ParameterFiles, load_parameters
from services.valuation.domain import BankInputs, ParametersUnavailable, RightFacts, value_right
from services.valuation.domain.valuation import Valuation
from tests.fakes.valuation import FakeValuationDatabase
from tests.unit.valuation_harness import (
    BANK,
    PATENT,
    SECOND_PATENT,
    UNKNOWN_PATENT,
    Service,
    service,
)

__all__ = ["service"]

AS_OF = date(2026, 6, 1)
BODY: dict[str, Any] = {
    "rights": [
        {"right_type": "patent", "number": PATENT},
        {"right_type": "patent", "number": SECOND_PATENT},
        {"right_type": "patent", "number": UNKNOWN_PATENT},
    ],
    "annual_revenue": "3000000.01",
    "revenue_growth": "0.03",
    "industry": "electronics",
    "high_tech": True,
    "comparables": [{"price": "900000.00", "similarity": "0.8"}],
    "replacement_cost": "100.00",
}


def test_parameter_version_2026_2_differs_only_in_the_electronics_royalty_range() -> None:
    first, second = load_parameters("2026.1"), load_parameters("2026.2")
    changed = {
        industry
        for industry, bounds in first.royalty_ranges.items()
        if second.royalty_ranges[industry] != bounds
    }
    assert changed == {"electronics"}
    facts = RightFacts(
        right_type="patent",
        number=PATENT,
        patent_kind="invention",
        filing_date=date(2020, 3, 2),
        grant_date=date(2022, 5, 10),
        expiry_date=date(2040, 3, 1),
        legal_status="valid",
    )
    electronics = BankInputs(annual_revenue=Decimal("8000000"), industry="electronics")
    other = BankInputs(annual_revenue=Decimal("8000000"), industry="software")
    assert (
        value_right(facts, electronics, second, AS_OF).central
        > value_right(facts, electronics, first, AS_OF).central
    )
    assert (
        value_right(facts, other, second, AS_OF).central
        == value_right(facts, other, first, AS_OF).central
    )


def test_a_parameter_version_that_cannot_be_loaded_is_unavailable() -> None:
    with pytest.raises(ParametersUnavailable) as refused:
        ParameterFiles().get("2019.9")
    assert refused.value.code == "parameters.unavailable"


async def test_a_stored_valuation_reproduces_every_figure(service: Service) -> None:
    valuation = await _value(service)

    result = await _reproduce(service, valuation["valuation_id"])

    assert result == {
        "valuation_id": valuation["valuation_id"],
        "parameter_version": "2026.1",
        "as_of": valuation["as_of"],
        "matches": True,
        "differences": [],
    }
    missing = await service.client.post("/internal/v1/valuations/nope/reproduce")
    assert (missing.status_code, missing.json()["code"]) == (404, "valuation.not_found")


async def test_reproduction_uses_the_recorded_version_and_register_snapshot() -> None:
    database = FakeValuationDatabase()
    first = Service(database)
    async with first.client:
        under_2026_1 = await _value(first)
        await first.record_patent(PATENT, status="terminated", version=2)

    second = Service(database, parameter_version="2026.2")
    async with second.client:
        replayed = await _reproduce(second, under_2026_1["valuation_id"])
        under_2026_2 = await _post(second)
        replayed_2026_2 = await _reproduce(second, under_2026_2["valuation_id"])

    assert replayed["matches"] is True
    assert replayed["parameter_version"] == "2026.1"
    assert under_2026_2["parameter_version"] == "2026.2"
    assert under_2026_2["rights"][0]["zero_reason"] == "right.lapsed"
    assert replayed_2026_2["matches"] is True


async def test_another_parameter_version_gives_different_figures(service: Service) -> None:
    valuation = await _value(service)
    valuation_id = valuation["valuation_id"]
    _tamper(service, valuation_id, parameter_version="2026.2")

    result = await _reproduce(service, valuation_id)

    assert result["matches"] is False
    differences = {d["figure"]: d for d in result["differences"]}
    assert "parameter_version" not in differences
    assert {"central", "low", "high", "rights[0].central", "rights[1].central"} <= set(differences)
    assert differences["central"]["recorded"] == valuation["central"]
    assert Decimal(differences["central"]["reproduced"]) > Decimal(valuation["central"])
    royalty = [f for f in differences if f.startswith("rights[0].drivers") and "value" in f]
    assert royalty


async def test_a_version_no_longer_stored_cannot_be_reproduced(service: Service) -> None:
    valuation = await _value(service)
    _tamper(service, valuation["valuation_id"], parameter_version="2019.9")

    response = await service.client.post(
        f"/internal/v1/valuations/{valuation['valuation_id']}/reproduce"
    )

    assert (response.status_code, response.json()["code"]) == (409, "parameters.unavailable")


async def test_a_changed_stored_figure_is_reported(service: Service) -> None:
    valuation = await _value(service)
    changed = Decimal(valuation["central"]) + Decimal("0.01")
    _tamper(service, valuation["valuation_id"], central=changed)

    result = await _reproduce(service, valuation["valuation_id"])

    assert result["matches"] is False
    assert result["differences"] == [
        {"figure": "central", "recorded": str(changed), "reproduced": valuation["central"]}
    ]


def _tamper(service: Service, valuation_id: str, **figures: Any) -> None:
    def change(valuation: Valuation) -> Valuation:
        return replace(valuation, completed=replace(valuation.completed, **figures))

    service.database.valuations.tamper(valuation_id, change)


async def _value(service: Service) -> dict[str, Any]:
    for number in (PATENT, SECOND_PATENT):
        await service.record_patent(number)
    return await _post(service)


async def _post(service: Service) -> dict[str, Any]:
    response = await service.client.post("/v1/valuations", json=BODY, headers=BANK)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _reproduce(service: Service, valuation_id: str) -> dict[str, Any]:
    response = await service.client.post(f"/internal/v1/valuations/{valuation_id}/reproduce")
    assert response.status_code == 200, response.text
    return dict(response.json())
