"""Appraiser sign-off: large valuations are provisional until approved or adjusted."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from services.valuation.domain import (
    SignOffRefused,
    ValueRange,
    allocate_pro_rata,
    scaled_max_loan,
    signoff_status,
    spread_range,
)
from shared.envelope import Envelope
from tests.unit.valuation_harness import (
    APPRAISER,
    BANK,
    PATENT,
    START,
    TRADEMARK,
    Service,
    service,
)

__all__ = ["service"]

LARGE_REVENUE = "80000000.00"
FEN = Decimal("0.01")


def test_only_a_central_value_above_the_threshold_needs_sign_off() -> None:
    threshold = Decimal("5000000.00")
    assert signoff_status(Decimal("4999999.99"), threshold) == "final"
    assert signoff_status(Decimal("5000000.00"), threshold) == "final"
    assert signoff_status(Decimal("5000000.01"), threshold) == "provisional"


def test_pro_rata_shares_are_fen_and_sum_exactly() -> None:
    thirds = allocate_pro_rata(Decimal("100.00"), [Decimal(1)] * 3)
    assert thirds == (Decimal("33.34"), Decimal("33.33"), Decimal("33.33"))
    weighted = allocate_pro_rata(Decimal("10.00"), [Decimal("3"), Decimal("1"), Decimal("0")])
    assert weighted == (Decimal("7.50"), Decimal("2.50"), Decimal("0.00"))
    assert allocate_pro_rata(Decimal("0.02"), [Decimal(0), Decimal(0)]) == (FEN, FEN)


def test_spread_range_keeps_every_part_ordered_and_sums_to_the_target() -> None:
    rng = random.Random(20261121)
    for _ in range(500):
        parts = [_random_range(rng) for _ in range(rng.randint(1, 8))]
        target = _random_range(rng)
        spread = spread_range(parts, target)
        assert sum(p.low for p in spread) == target.low
        assert sum(p.central for p in spread) == target.central
        assert sum(p.high for p in spread) == target.high
        assert all(p.low <= p.central <= p.high for p in spread)
        total = sum(p.central for p in parts)
        if total:
            for before, after in zip(parts, spread, strict=True):
                exact = target.central * before.central / total
                assert abs(after.central - exact) < FEN


def test_adjusted_range_must_be_ordered_fen() -> None:
    with pytest.raises(SignOffRefused) as unordered:
        ValueRange(Decimal("2.00"), Decimal("1.00"), Decimal("3.00"))
    assert unordered.value.code == "range.unordered"
    with pytest.raises(SignOffRefused):
        ValueRange(Decimal("1.001"), Decimal("2.00"), Decimal("3.00"))


def test_max_loan_scales_with_the_central_weighted_ltv() -> None:
    rights = [(Decimal("600.00"), Decimal("0.3")), (Decimal("400.00"), Decimal("0.5"))]
    assert scaled_max_loan(rights, Decimal("1000.00")) == Decimal("380.00")
    assert scaled_max_loan(rights, Decimal("500.00")) == Decimal("190.00")
    assert scaled_max_loan([], Decimal("10.00")) == Decimal("0.00")


async def test_valuation_below_the_threshold_is_final_and_not_pending(service: Service) -> None:
    await service.record_patent(PATENT)

    _, completed = await service.apply([("patent", PATENT)])

    assert completed.payload["status"] == "final"
    assert Decimal(completed.payload["central"]) <= Decimal("5000000.00")
    pending = await service.client.get("/internal/v1/appraisals/pending", headers=APPRAISER)
    assert pending.status_code == 200
    assert pending.json() == {"items": [], "next_cursor": None}
    refused = await _sign(service, completed.payload["valuation_id"], "approve", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "valuation.not_provisional"


async def test_large_valuation_is_provisional_until_an_appraiser_approves(
    service: Service,
) -> None:
    completed = await _large_credit_valuation(service)
    valuation_id = completed.payload["valuation_id"]
    assert completed.payload["status"] == "provisional"

    pending = await service.client.get("/internal/v1/appraisals/pending", headers=APPRAISER)
    assert [v["valuation_id"] for v in pending.json()["items"]] == [valuation_id]

    approved = await _sign(service, valuation_id, "approve", {"reason": "checked licences"})
    assert approved.status_code == 200, approved.text

    [event] = service.events("valuation.signed_off")
    payload = event.payload
    assert (event.aggregate_id, event.aggregate_version) == (valuation_id, 2)
    assert payload["outcome"] == "approved"
    assert payload["appraiser_id"] == "appraiser-li"
    assert payload["reason"] == "checked licences"
    assert payload["reference"] == completed.payload["reference"]
    assert payload["requested_by"] == "credit"
    for figure in ("low", "central", "high", "recommended_max_loan", "rights"):
        assert payload[figure] == completed.payload[figure]
    assert payload["signed_off_at"] == START.isoformat()
    again = await _sign(service, valuation_id, "approve", {})
    assert again.status_code == 409
    assert again.json()["code"] == "valuation.already_signed_off"
    after = await service.client.get("/internal/v1/appraisals/pending", headers=APPRAISER)
    assert after.json()["items"] == []


async def test_adjustment_with_reason_rescales_the_rights_pro_rata(service: Service) -> None:
    completed = await _large_credit_valuation(service)
    valuation_id = completed.payload["valuation_id"]
    body = {"low": "7000000.00", "central": "8000000.01", "high": "9100000.00"}

    adjusted = await _sign(service, valuation_id, "adjust", body | {"reason": "thin market"})
    assert adjusted.status_code == 200, adjusted.text

    [event] = service.events("valuation.signed_off")
    payload = event.payload
    assert payload["outcome"] == "adjusted"
    assert payload["reason"] == "thin market"
    assert {k: payload[k] for k in body} == body
    rights, before = payload["rights"], completed.payload["rights"]
    assert [r["number"] for r in rights] == [r["number"] for r in before]
    for figure in ("low", "central", "high"):
        assert sum(Decimal(r[figure]) for r in rights) == Decimal(body[figure])
    total = Decimal(completed.payload["central"])
    for new, old in zip(rights, before, strict=True):
        exact = Decimal(body["central"]) * Decimal(old["central"]) / total
        assert abs(Decimal(new["central"]) - exact) < FEN
        assert Decimal(new["low"]) <= Decimal(new["central"]) <= Decimal(new["high"])
        assert new["drivers"][-1]["name"] == "appraiser_adjustment"
    weighted = sum(Decimal(r["central"]) * Decimal(r["recommended_ltv"]) for r in before)
    expected_loan = (Decimal(body["central"]) * weighted / total).quantize(FEN, ROUND_HALF_UP)
    assert Decimal(payload["recommended_max_loan"]) == expected_loan

    shown = await service.client.get(f"/internal/v1/appraisals/{valuation_id}", headers=APPRAISER)
    signoff = shown.json()["signoff"]
    assert signoff["appraiser_id"] == "appraiser-li"
    assert signoff["before"]["central"] == completed.payload["central"]
    assert signoff["after"] == {k: body[k] for k in ("low", "central", "high")}
    assert signoff["signed_off_at"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"low": "1.00", "central": "2.00", "high": "3.00"}, APPRAISER, 422, "request.invalid"),
        (
            {"low": "1.00", "central": "2.00", "high": "3.00", "reason": "   "},
            APPRAISER,
            422,
            "request.invalid",
        ),
        (
            {"low": "3.00", "central": "2.00", "high": "4.00", "reason": "typo"},
            APPRAISER,
            422,
            "request.invalid",
        ),
        (
            {"low": "1.00", "central": "2.00", "high": "3.00", "reason": "ok"},
            {"X-Anonymous": "1"},
            401,
            "auth.missing",
        ),
        (
            {"low": "1.00", "central": "2.00", "high": "3.00", "reason": "ok"},
            {},
            403,
            "auth.role_forbidden",
        ),
    ],
    ids=["no-reason", "blank-reason", "unordered", "no-credential", "not-an-appraiser"],
)
async def test_adjustment_without_reason_order_or_appraiser_is_rejected(
    service: Service, body: dict[str, str], headers: dict[str, str], status: int, code: str
) -> None:
    completed = await _large_credit_valuation(service)
    valuation_id = completed.payload["valuation_id"]

    response = await service.client.post(
        f"/internal/v1/appraisals/{valuation_id}/adjust", json=body, headers=headers
    )

    assert (response.status_code, response.json()["code"]) == (status, code)
    pending = await service.client.get("/internal/v1/appraisals/pending", headers=APPRAISER)
    assert [v["valuation_id"] for v in pending.json()["items"]] == [valuation_id]
    assert not service.events("valuation.signed_off")


async def test_pending_pages_run_oldest_first_and_banks_see_the_sign_off(
    service: Service,
) -> None:
    await service.record_patent(PATENT)
    created = []
    for _ in range(3):
        created.append(await _large_bank_valuation(service))
        service.clock.advance(timedelta(seconds=1))

    first = await service.client.get(
        "/internal/v1/appraisals/pending", params={"limit": 2}, headers=APPRAISER
    )
    cursor = first.json()["next_cursor"]
    second = await service.client.get(
        "/internal/v1/appraisals/pending", params={"limit": 2, "after": cursor}, headers=APPRAISER
    )
    unknown = await service.client.get(
        "/internal/v1/appraisals/pending", params={"after": "nope"}, headers=APPRAISER
    )

    listed = [v["valuation_id"] for v in first.json()["items"] + second.json()["items"]]
    assert listed == created
    assert cursor == created[1]
    assert second.json()["next_cursor"] is None
    assert unknown.status_code == 422
    await _sign(service, created[0], "approve", {})
    seen = await service.client.get(f"/v1/valuations/{created[0]}", headers=BANK)
    assert seen.json()["status"] == "provisional"
    assert seen.json()["signoff"]["outcome"] == "approved"


async def _large_credit_valuation(service: Service) -> Envelope:
    await service.record_patent(PATENT)
    await service.record_trademark(TRADEMARK)
    _, completed = await service.apply(
        [("patent", PATENT), ("trademark", TRADEMARK)], revenue=LARGE_REVENUE
    )
    return completed


async def _large_bank_valuation(service: Service) -> str:
    body = {
        "rights": [{"right_type": "patent", "number": PATENT}],
        "annual_revenue": LARGE_REVENUE,
        "industry": "electronics",
        "high_tech": True,
    }
    response = await service.client.post("/v1/valuations", json=body, headers=BANK)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "provisional"
    return str(response.json()["valuation_id"])


async def _sign(service: Service, valuation_id: str, action: str, body: dict[str, Any]) -> Any:
    return await service.client.post(
        f"/internal/v1/appraisals/{valuation_id}/{action}", json=body, headers=APPRAISER
    )


def _random_range(rng: random.Random) -> ValueRange:
    central = Decimal(rng.choice([0, rng.randint(0, 50), rng.randint(0, 10**9)])).scaleb(-2)
    low = (central * Decimal(rng.uniform(0, 1))).quantize(FEN, rounding="ROUND_DOWN")
    high = central + Decimal(rng.randint(0, 10**8)).scaleb(-2)
    return ValueRange(low, central, high)


def test_a_range_around_nothing_spreads_its_upside_as_the_rights_were_valued() -> None:
    from services.valuation.domain.signoff import ValueRange, spread_range

    parts = [
        ValueRange(Decimal("0.50"), Decimal("1.00"), Decimal("2.00")),
        ValueRange(Decimal("1.00"), Decimal("3.00"), Decimal("4.00")),
    ]
    spread = spread_range(parts, ValueRange(Decimal("0"), Decimal("0"), Decimal("4.00")))
    assert spread == (
        ValueRange(Decimal("0"), Decimal("0"), Decimal("1.00")),
        ValueRange(Decimal("0"), Decimal("0"), Decimal("3.00")),
    )
