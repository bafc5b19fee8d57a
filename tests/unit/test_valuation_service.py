"""The valuation service on fakes: register events in, valuations out, and its HTTP API."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from services.valuation.service_layer.handlers import split_evenly
from shared.envelope import Envelope
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS
from tests.unit.valuation_harness import (
    APPLICATIONS,
    BANK,
    PATENT,
    RIGHTS,
    SECOND_PATENT,
    START,
    TRADEMARK,
    UNKNOWN_PATENT,
    Service,
    application_payload,
    envelope,
    patent_payload,
    service,
)

__all__ = ["service"]

ON_DEMAND = {
    "rights": [
        {"right_type": "patent", "number": f"CN{PATENT}"},
        {"right_type": "patent", "number": SECOND_PATENT},
        {"right_type": "patent", "number": UNKNOWN_PATENT},
    ],
    "annual_revenue": "1000.01",
    "industry": "electronics",
    "high_tech": True,
    "comparables": [{"price": "900.00", "similarity": "0.8"}],
    "replacement_cost": "100.00",
}


async def test_application_is_valued_from_the_register_read_model(service: Service) -> None:
    await service.record_patent(PATENT)
    assert (await service.right(PATENT))["source_event_version"] == 1

    application, completed = await service.apply([("patent", f"CN {PATENT}")])

    payload = completed.payload
    assert (completed.event_type, completed.schema_version) == ("valuation.completed", 1)
    assert (completed.aggregate_id, completed.aggregate_version) == (payload["valuation_id"], 1)
    assert completed.correlation_id == application.correlation_id
    assert completed.causation_id == application.event_id
    assert payload["reference"] == application.payload["loan_id"]
    assert payload["requested_by"] == "credit"
    assert payload["parameter_version"] == "2026.1"
    assert payload["status"] == "final"
    assert payload["completed_at"] == START.isoformat()
    assert payload["as_of"] == "2026-06-01"
    assert Decimal(payload["central"]) > 0
    [right] = payload["rights"]
    assert right["number"] == PATENT
    assert right["kind"] == "invention"
    assert right["method"] == "income_royalty_share"
    assert right["zero_reason"] is None
    assert Decimal(right["low"]) < Decimal(right["central"]) < Decimal(right["high"])
    assert {"quality_score", "royalty_rate", "discount_rate"} <= {
        d["name"] for d in right["drivers"]
    }


async def test_the_valuation_date_is_the_beijing_date_of_the_service_clock(
    service: Service,
) -> None:
    service.clock.set(START.replace(hour=16, minute=30) + timedelta(days=30))

    _, completed = await service.apply([("patent", PATENT)])

    assert completed.payload["as_of"] == "2026-07-02"
    assert completed.payload["completed_at"] == "2026-07-01T16:30:00+00:00"


async def test_an_application_published_again_is_valued_once(service: Service) -> None:
    await service.record_patent(PATENT)
    application, completed = await service.apply([("patent", PATENT)])

    await service.deliver(CREDIT_LOANS, application)
    republished = replace(application, event_id=str(uuid.uuid4()))
    await service.deliver(CREDIT_LOANS, republished)

    assert service.events("valuation.completed") == [completed]
    assert service.handled(APPLICATIONS) == 2
    assert not service.dead_lettered(APPLICATIONS)


async def test_right_missing_from_the_register_is_valued_at_zero(service: Service) -> None:
    _, completed = await service.apply([("patent", UNKNOWN_PATENT), ("trademark", TRADEMARK)])

    payload = completed.payload
    assert Decimal(payload["central"]) == 0
    assert [(r["number"], r["kind"], r["zero_reason"]) for r in payload["rights"]] == [
        (UNKNOWN_PATENT, "invention", "right.not_on_register"),
        (TRADEMARK, "trademark", "right.not_on_register"),
    ]
    assert all(Decimal(r["central"]) == 0 for r in payload["rights"])


async def test_lapsed_patent_is_valued_at_zero_with_its_reason(service: Service) -> None:
    await service.record_patent(PATENT, status="terminated")
    assert (await service.right(PATENT))["legal_status"] == "lapsed"

    _, completed = await service.apply([("patent", PATENT)])

    [right] = completed.payload["rights"]
    assert right["zero_reason"] == "right.lapsed"
    assert right["method"] == "zero"
    assert Decimal(completed.payload["central"]) == 0


async def test_trademark_statuses_are_mapped_and_registered_marks_are_valued(
    service: Service,
) -> None:
    await service.record_trademark(TRADEMARK)
    await service.record_trademark("7654321", status="cancelled")
    assert (await service.right(TRADEMARK))["legal_status"] == "valid"
    assert (await service.right("7654321"))["legal_status"] == "revoked"

    _, completed = await service.apply([("trademark", TRADEMARK), ("trademark", "7654321")])

    valid, revoked = completed.payload["rights"]
    assert valid["method"] == "relief_from_royalty"
    assert Decimal(valid["central"]) > 0
    assert revoked["zero_reason"] == "right.revoked"


async def test_an_older_register_version_never_overwrites_a_newer_one(service: Service) -> None:
    await service.record_patent(PATENT, status="valid", version=2)
    await service.record_patent(PATENT, status="terminated", version=1)

    row = await service.right(PATENT)
    assert service.handled(RIGHTS) == 2
    assert row["legal_status"] == "valid"
    assert row["source_event_version"] == 2
    assert row["updated_at"] == START.isoformat().replace("+00:00", "Z")


async def test_a_register_event_delivered_twice_is_applied_once(service: Service) -> None:
    event = await service.record_patent(PATENT)
    service.clock.advance(timedelta(hours=1))

    await service.deliver(REGISTRY_RIGHTS, event)

    assert service.handled(RIGHTS) == 1
    assert (await service.right(PATENT))["updated_at"] == START.isoformat().replace("+00:00", "Z")


async def test_on_demand_valuation_returns_ranges_drivers_and_parameter_version(
    service: Service,
) -> None:
    for number in (PATENT, SECOND_PATENT):
        await service.record_patent(number)

    response = await service.value_on_demand(ON_DEMAND)

    assert response.status_code == 201, response.text
    assert "Idempotent-Replayed" not in response.headers
    valuation = response.json()
    assert valuation["parameter_version"] == "2026.1"
    assert valuation["reference"] is None
    assert valuation["requested_by"] == "bank-hangzhou"
    first, second, unknown = valuation["rights"]
    assert (first["number"], second["number"]) == (PATENT, SECOND_PATENT)
    assert first["drivers"] and all({"name", "value", "effect"} <= set(d) for d in first["drivers"])
    assert first["method"] in {"market", "cost", "income_royalty_share"}
    assert unknown["zero_reason"] == "right.not_on_register"
    per_right = valuation["inputs"]["per_right"]
    assert per_right[PATENT]["annual_revenue"] == "500.01"
    assert per_right[SECOND_PATENT]["annual_revenue"] == "500.00"
    assert per_right[PATENT]["comparables"] == [{"price": "450.00", "similarity": "0.8"}]
    assert valuation["inputs"]["allocation"]

    again = await service.client.get(f"/v1/valuations/{valuation['valuation_id']}", headers=BANK)
    assert again.status_code == 200
    assert again.json() == valuation
    stranger = {"X-Bank-Id": "bank-qingdao"}
    hidden = await service.client.get(
        f"/v1/valuations/{valuation['valuation_id']}", headers=stranger
    )
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "valuation.not_found"
    [shipped] = service.events()
    assert (shipped.aggregate_id, shipped.aggregate_version) == (valuation["valuation_id"], 1)


async def test_a_retried_valuation_returns_the_first_and_a_reused_key_is_refused(
    service: Service,
) -> None:
    key = {"Idempotency-Key": "retry-0001"}
    first = await service.value_on_demand(ON_DEMAND, **key)
    retry = await service.value_on_demand(ON_DEMAND, **key)
    other = await service.value_on_demand(ON_DEMAND | {"annual_revenue": "2000.00"}, **key)
    elsewhere = await service.value_on_demand(ON_DEMAND, **key, **{"X-Bank-Id": "bank-qingdao"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")
    assert elsewhere.status_code == 201
    assert elsewhere.json()["valuation_id"] != first.json()["valuation_id"]
    assert len(service.events("valuation.completed")) == 2


@pytest.mark.parametrize(
    "key",
    [
        "",
        "k" * 201,  # longer than the key column
        "retry\t0001",  # a control character
        "retry 0001",
        "retry-0001\x80",  # beyond ASCII
    ],
    ids=["empty", "too long", "tab", "space", "not ascii"],
)
async def test_an_invalid_idempotency_key_is_refused_before_anything_is_valued(
    service: Service, key: str
) -> None:
    response = await service.client.post(
        "/v1/valuations",
        json=ON_DEMAND,
        headers=[
            *((name.encode(), value.encode()) for name, value in BANK.items()),
            (b"Idempotency-Key", key.encode("latin-1")),
        ],
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency.bad_key"
    assert response.json()["title"] == ("Idempotency-Key must be 1 to 200 visible ASCII characters")
    assert not service.events()


async def test_a_key_as_long_as_the_column_allows_is_kept(service: Service) -> None:
    key = "k" * 199 + "!"
    first = await service.value_on_demand(ON_DEMAND, **{"Idempotency-Key": key})
    retry = await service.value_on_demand(ON_DEMAND, **{"Idempotency-Key": key})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert len(service.events("valuation.completed")) == 1


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("CN202010123456.7", "patent_number.check_digit"),
        ("not-a-number", "patent_number.format"),
    ],
)
async def test_malformed_patent_number_is_rejected(
    service: Service, number: str, code: str
) -> None:
    body = {"rights": [{"right_type": "patent", "number": number}], "annual_revenue": "1000.00"}

    response = await service.value_on_demand(body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.invalid"
    assert response.json()["errors"][0]["field"] == "rights.0.patent.number"
    assert response.json()["errors"][0]["code"] == code
    assert not service.events()


async def test_a_right_listed_twice_is_rejected(service: Service) -> None:
    body = {
        "rights": [
            {"right_type": "patent", "number": f"CN{PATENT}"},
            {"right_type": "patent", "number": f"ZL {PATENT}"},
        ],
        "annual_revenue": "1000.00",
    }

    response = await service.value_on_demand(body)

    assert (response.status_code, response.json()["code"]) == (422, "rights.duplicate")


async def test_a_bank_credential_is_required_and_unknown_rights_are_not_found(
    service: Service,
) -> None:
    body = {"rights": [{"right_type": "trademark", "number": TRADEMARK}], "annual_revenue": "1"}

    missing = await service.client.post("/v1/valuations", json=body, headers={"X-Anonymous": "1"})
    staff = await service.client.post("/v1/valuations", json=body, headers={"X-Appraiser-Id": "a1"})
    reserved = await service.client.post(
        "/v1/valuations", json=body, headers={"X-Bank-Id": "credit"}
    )
    unknown = await service.client.get(f"/internal/v1/rights/{UNKNOWN_PATENT}")

    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing")
    assert (staff.status_code, staff.json()["code"]) == (403, "auth.bank_only")
    assert (reserved.status_code, reserved.json()["code"]) == (403, "bank.unknown")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "right.not_found"


async def test_malformed_application_goes_to_the_dead_letter_topic(service: Service) -> None:
    loan_id = str(uuid.uuid4())
    payload = application_payload(loan_id, [("patent", PATENT)])
    payload["attributable_revenue"] = "a lot"
    event = envelope("credit.application.submitted", loan_id, payload)

    await service.deliver(CREDIT_LOANS, event)

    [dead] = service.dead_lettered(APPLICATIONS)
    assert dead.header("dlq.reason") == "payload.invalid"
    assert Envelope.from_json(dead.value).event_id == event.event_id
    assert not service.events()


async def test_register_event_with_a_malformed_number_is_dead_lettered(service: Service) -> None:
    event = envelope("registry.patent.recorded", "x", patent_payload("202010123456.9"))

    await service.deliver(REGISTRY_RIGHTS, event)

    [dead] = service.dead_lettered(RIGHTS)
    assert dead.header("dlq.reason") == "payload.invalid"
    assert "check digit" in (dead.header("dlq.detail") or "")


def test_revenue_is_split_in_equal_shares_to_the_fen() -> None:
    assert split_evenly(Decimal("1000.00"), 3) == [
        Decimal("333.34"),
        Decimal("333.33"),
        Decimal("333.33"),
    ]
    assert split_evenly(Decimal("0.01"), 2) == [Decimal("0.01"), Decimal("0.00")]
    assert split_evenly(Decimal("5"), 0) == []
