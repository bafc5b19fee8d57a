"""Retried filings and valuations create one resource, whatever the network did to the first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import Table

from services.registry.adapters.orm import filings, pledged_rights
from services.valuation.adapters.orm import valuations
from tests.integration.conftest import Running
from tests.integration.test_registry_service import filing, put_patent, registry  # noqa: F401
from tests.integration.test_valuation_service import valuation  # noqa: F401

pytestmark = pytest.mark.postgres

TRADEMARK = "31234567"

Post = Callable[[Running, dict[str, Any], dict[str, str]], Awaitable[httpx.Response]]


def valuation_request(**changes: Any) -> dict[str, Any]:
    return {
        "rights": [{"right_type": "trademark", "number": TRADEMARK}],
        "annual_revenue": "1000.00",
    } | changes


async def post_filing(service: Running, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await service.client.post("/v1/pledge-filings", json=body, headers=headers)


async def post_valuation(service: Running, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await service.client.post("/v1/valuations", json=body, headers=headers)


async def assert_retry_returns_the_first(
    service: Running, post: Post, body: dict[str, Any], table: Table, id_field: str
) -> None:
    key = {"Idempotency-Key": "retry-0001"}
    first = await post(service, body, key)
    retry = await post(service, body, key)

    assert (first.status_code, retry.status_code) == (201, 201), (first.text, retry.text)
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()[id_field] == first.json()[id_field]
    assert await service.count(table) == 1


async def assert_reused_key_is_refused(
    service: Running, post: Post, body: dict[str, Any], other: dict[str, Any], table: Table
) -> None:
    key = {"Idempotency-Key": "reused-0001"}
    assert (await post(service, body, key)).status_code == 201
    refused = await post(service, other, key)

    assert (refused.status_code, refused.json()["code"]) == (422, "idempotency.key_reused")
    assert await service.count(table) == 1


async def assert_concurrent_duplicates_create_one(
    service: Running, post: Post, body: dict[str, Any], key: str, id_field: str
) -> str:
    headers = {"Idempotency-Key": key}
    responses = await asyncio.gather(*(post(service, body, headers) for _ in range(3)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 201 and set(statuses) <= {201, 409}, [r.text for r in responses]
    conflicts = {r.json()["code"] for r in responses if r.status_code == 409}
    assert conflicts <= {"idempotency.conflict"}
    created = {r.json()[id_field] for r in responses if r.status_code == 201}
    assert len(created) == 1
    return created.pop()


async def test_a_retried_filing_returns_the_first(registry: Running) -> None:  # noqa: F811
    body = filing(await put_patent(registry))
    await assert_retry_returns_the_first(registry, post_filing, body, filings, "filing_id")
    assert await registry.count(pledged_rights) == 1


async def test_a_filing_key_reused_for_another_filing_is_refused(
    registry: Running,  # noqa: F811
) -> None:
    patent = await put_patent(registry)
    other = filing(patent, secured_amount="123456.00")
    await assert_reused_key_is_refused(registry, post_filing, filing(patent), other, filings)


async def test_concurrent_duplicate_filings_create_one(registry: Running) -> None:  # noqa: F811
    for attempt in range(3):
        patent = await put_patent(registry)
        filing_id = await assert_concurrent_duplicates_create_one(
            registry, post_filing, filing(patent), f"concurrent-{attempt}", "filing_id"
        )
        current = await registry.client.get(f"/v1/pledge-filings/{filing_id}")
        assert current.json()["status"] == "registered"
        assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1
    assert await registry.count(filings) == 3


async def test_another_bank_reusing_a_key_files_its_own(registry: Running) -> None:  # noqa: F811
    key = {"Idempotency-Key": "shared-key"}
    first = await post_filing(registry, filing(await put_patent(registry)), key)
    qingdao = {"name": "Qingdao Bank", "uscc": "913702007180012344", "address": "Qingdao"}
    body = filing(await put_patent(registry), pledgee=qingdao)
    other = await post_filing(registry, body, key | {"X-Bank-Id": "bank-qingdao"})

    assert (first.status_code, other.status_code) == (201, 201), other.text
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["filing_id"] != first.json()["filing_id"]


async def test_a_pledge_race_with_different_keys_is_still_decided(
    registry: Running,  # noqa: F811
) -> None:
    for attempt in range(3):
        body = filing(await put_patent(registry))
        responses = await asyncio.gather(
            *(
                post_filing(registry, body, {"Idempotency-Key": f"race-{attempt}-{n}"})
                for n in (1, 2)
            )
        )
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        assert sorted(r.json()["status"] for r in responses) == ["refused", "registered"]


async def test_a_retried_valuation_returns_the_first(valuation: Running) -> None:  # noqa: F811
    await assert_retry_returns_the_first(
        valuation, post_valuation, valuation_request(), valuations, "valuation_id"
    )


async def test_a_valuation_key_reused_for_another_request_is_refused(
    valuation: Running,  # noqa: F811
) -> None:
    other = valuation_request(annual_revenue="2000.00")
    await assert_reused_key_is_refused(
        valuation, post_valuation, valuation_request(), other, valuations
    )


async def test_concurrent_duplicate_valuations_create_one(valuation: Running) -> None:  # noqa: F811
    for attempt in range(3):
        await assert_concurrent_duplicates_create_one(
            valuation, post_valuation, valuation_request(), f"concurrent-{attempt}", "valuation_id"
        )
    assert await valuation.count(valuations) == 3
