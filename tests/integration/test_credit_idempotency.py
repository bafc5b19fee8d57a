"""A bank's retried write creates one loan, whatever the network did to the first attempt."""

from __future__ import annotations

import asyncio

import pytest

from services.credit.adapters.orm import loans
from tests.integration.conftest import Running
from tests.integration.test_credit_service import application, credit  # noqa: F401

KEY = {"Idempotency-Key": "application-2026-0001"}


async def test_a_retried_application_returns_the_first_loan(credit: Running) -> None:  # noqa: F811
    first = await credit.client.post("/v1/loan-applications", json=application(), headers=KEY)
    retry = await credit.client.post("/v1/loan-applications", json=application(), headers=KEY)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["loan_id"] == first.json()["loan_id"]
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert await credit.count(loans) == 1


async def test_the_same_key_for_another_request_is_refused(credit: Running) -> None:  # noqa: F811
    await credit.client.post("/v1/loan-applications", json=application(), headers=KEY)
    other = await credit.client.post(
        "/v1/loan-applications", json=application(requested_amount="123456.00"), headers=KEY
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")
    assert await credit.count(loans) == 1


async def test_concurrent_duplicates_create_one_loan(credit: Running) -> None:  # noqa: F811
    for attempt in range(5):
        headers = {"Idempotency-Key": f"concurrent-{attempt}"}
        responses = await asyncio.gather(
            *(
                credit.client.post("/v1/loan-applications", json=application(), headers=headers)
                for _ in range(3)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 201 and set(statuses) <= {201, 409}, statuses
        conflicts = [r.json()["code"] for r in responses if r.status_code == 409]
        assert set(conflicts) <= {"idempotency.conflict"}
        created = {r.json()["loan_id"] for r in responses if r.status_code == 201}
        assert len(created) == 1
    assert await credit.count(loans) == 5


async def test_without_a_key_each_request_is_a_new_application(credit: Running) -> None:  # noqa: F811
    for _ in range(2):
        assert (
            await credit.client.post("/v1/loan-applications", json=application())
        ).status_code == 201
    assert await credit.count(loans) == 2


async def test_a_bank_lists_only_its_own_loans_a_page_at_a_time(credit: Running) -> None:  # noqa: F811
    created = [
        (await credit.client.post("/v1/loan-applications", json=application())).json()["loan_id"]
        for _ in range(3)
    ]
    first = (await credit.client.get("/v1/loans", params={"limit": 2})).json()
    second = (await credit.client.get("/v1/loans", params={"limit": 2, "offset": 2})).json()
    other = (await credit.client.get("/v1/loans", headers={"X-Bank-Id": "bank-qingdao"})).json()

    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    listed = [loan["loan_id"] for loan in first["items"] + second["items"]]
    assert sorted(listed) == sorted(created)
    assert (other["total"], other["items"]) == (0, [])


@pytest.mark.parametrize(
    "key",
    ["", "k" * 201, "application\t2026", "application 2026", "application-2026\x80"],
    ids=["empty", "longer than the column", "tab", "space", "not ascii"],
)
async def test_an_invalid_key_is_refused_before_the_database(credit: Running, key: str) -> None:  # noqa: F811
    response = await credit.client.post(
        "/v1/loan-applications",
        json=application(),
        headers=[(b"Idempotency-Key", key.encode("latin-1"))],
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency.bad_key"
    assert await credit.count(loans) == 0


async def test_a_key_as_long_as_the_column_is_kept_and_answers_its_retry(credit: Running) -> None:  # noqa: F811
    headers = {"Idempotency-Key": "a" * 200}
    first = await credit.client.post("/v1/loan-applications", json=application(), headers=headers)
    retry = await credit.client.post("/v1/loan-applications", json=application(), headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["loan_id"] == first.json()["loan_id"]
    assert await credit.count(loans) == 1
