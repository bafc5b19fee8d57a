"""Who holds a filing on the examiner's desk: releasing it to the queue, and a supervisor
giving it to another examiner; each step is on the filing and on the topic."""

from __future__ import annotations

from shared.auth import Role
from tests.credentials import staff_headers
from tests.unit.registry_harness import (
    DESK,
    Registry,
    act,
    claim,
    examined,
    problem_code,
    registry,
)

__all__ = ["registry"]

SUPERVISOR = staff_headers("supervisor-wang", Role.SUPERVISOR)


def published(registry: Registry, event_type: str) -> list[dict]:
    return [e.payload for e in registry.events(event_type)]


async def test_the_examiner_holding_a_filing_releases_it_to_the_queue(registry: Registry) -> None:
    filing_id = (await examined(registry))["filing_id"]
    await claim(registry, filing_id, "exa")

    by_other = await act(registry, filing_id, "release", "exb")
    released = await act(registry, filing_id, "release", "exa")

    assert (by_other.status_code, problem_code(by_other)) == (409, "filing.claimed_by_other")
    assert released.status_code == 200, released.text
    view = released.json()
    assert view["claimed_by"] is None
    assert view["decisions"][-1] | {"at": None} == {
        "action": "released",
        "examiner": "exa",
        "at": None,
        "reasons": [],
        "message": None,
        "fields": [],
        "acknowledged": [],
        "assignee": "exa",
    }
    [event] = published(registry, "registry.filing.released")
    assert (event["released_by"], event["previous_examiner"]) == ("exa", "exa")
    assert (await claim(registry, filing_id, "exb"))["claimed_by"] == "exb"


async def test_an_unclaimed_filing_cannot_be_released(registry: Registry) -> None:
    filing_id = (await examined(registry))["filing_id"]
    response = await act(registry, filing_id, "release", "exa")
    assert (response.status_code, problem_code(response)) == (409, "filing.not_claimed")


async def test_a_supervisor_reassigns_a_claimed_filing_and_the_new_examiner_decides(
    registry: Registry,
) -> None:
    filing_id = (await examined(registry))["filing_id"]
    await claim(registry, filing_id, "exa")
    url = f"{DESK}/filings/{filing_id}/reassign"

    by_examiner = await registry.client.post(
        url, json={"examiner": "exb"}, headers=staff_headers("exa", Role.EXAMINER)
    )
    reassigned = await registry.client.post(url, json={"examiner": "exb"}, headers=SUPERVISOR)
    again = await registry.client.post(url, json={"examiner": "exb"}, headers=SUPERVISOR)

    assert (by_examiner.status_code, problem_code(by_examiner)) == (403, "auth.role_forbidden")
    assert reassigned.status_code == 200, reassigned.text
    assert reassigned.json()["claimed_by"] == "exb"
    last = reassigned.json()["decisions"][-1]
    assert (last["action"], last["examiner"], last["assignee"]) == (
        "reassigned",
        "supervisor-wang",
        "exb",
    )
    assert (again.status_code, problem_code(again)) == (409, "filing.already_assigned")
    [event] = published(registry, "registry.filing.reassigned")
    assert (event["previous_examiner"], event["claimed_by"]) == ("exa", "exb")
    old_holder = await act(registry, filing_id, "register", "exa")
    new_holder = await act(registry, filing_id, "register", "exb")
    assert (old_holder.status_code, problem_code(old_holder)) == (409, "filing.claimed_by_other")
    assert new_holder.status_code == 200, new_holder.text
    assert new_holder.json()["status"] == "registered"


async def test_a_supervisor_releases_another_examiners_filing(registry: Registry) -> None:
    filing_id = (await examined(registry))["filing_id"]
    await claim(registry, filing_id, "exa")
    response = await registry.client.post(f"{DESK}/filings/{filing_id}/release", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    assert response.json()["claimed_by"] is None
    assert response.json()["decisions"][-1]["assignee"] == "exa"


async def test_only_a_claimed_filing_is_reassigned(registry: Registry) -> None:
    filing_id = (await examined(registry))["filing_id"]
    response = await registry.client.post(
        f"{DESK}/filings/{filing_id}/reassign", json={"examiner": "exb"}, headers=SUPERVISOR
    )
    assert (response.status_code, problem_code(response)) == (409, "filing.not_claimed")
