"""Pledge filings over the registry's HTTP API, on in-memory storage: what a bank may file and
see, identifiers checked at the door, same-day twins and similar marks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from shared.identifiers import patent_check_digit
from tests.credentials import bank_headers
from tests.unit.registry_harness import (
    PLEDGEE,
    PLEDGOR,
    Registry,
    act,
    claim,
    file,
    filing,
    invalid_uscc,
    problem_code,
    put_patent,
    registry,
)

__all__ = ["registry"]

_serials = itertools.count(1)
_marks = itertools.count(41000001)


@pytest.mark.parametrize(
    ("field", "error_code"),
    [("uscc", "uscc.check_character"), ("patent", "patent_number.check_digit")],
)
async def test_an_invalid_identifier_is_rejected_and_nothing_is_stored(
    registry: Registry, field: str, error_code: str
) -> None:
    patent = await put_patent(registry)
    if field == "uscc":
        body = filing(patent, pledgor=PLEDGOR | {"uscc": invalid_uscc(PLEDGOR["uscc"])})
    else:
        wrong_check = "0" if patent[-1] != "0" else "1"
        body = filing(patent[:-1] + wrong_check)

    response = await file(registry, body)

    assert response.status_code == 422
    assert problem_code(response) == "request.invalid"
    assert error_code in [error["code"] for error in response.json()["errors"]]
    assert registry.database.filings.values() == []
    assert {e.event_type for e in registry.events()} == {"registry.patent.recorded"}


async def test_a_bank_sees_only_its_own_filings_and_files_only_as_pledgee(
    registry: Registry,
) -> None:
    patent = await put_patent(registry)
    filed = (await file(registry, filing(patent))).json()
    other_bank = bank_headers("bank-qingdao")

    seen_by_other = await registry.client.get(
        f"/v1/pledge-filings/{filed['filing_id']}", headers=other_bank
    )
    missing = await registry.client.get("/v1/pledge-filings/no-such-filing", headers=other_bank)
    pledge_seen_by_other = await registry.client.get(
        f"/v1/pledges/{filed['registration_number']}", headers=other_bank
    )
    filed_for_someone_else = await registry.client.post(
        "/v1/pledge-filings", json=filing(await put_patent(registry)), headers=other_bank
    )

    assert (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json() == filed
    assert seen_by_other.status_code == missing.status_code == 404
    assert problem_code(seen_by_other) == problem_code(missing) == "filing.not_found"
    assert pledge_seen_by_other.status_code == 404
    assert filed_for_someone_else.status_code == 403
    assert problem_code(filed_for_someone_else) == "filing.pledgee_not_caller"


async def test_a_uscc_claimed_in_a_credential_does_not_make_a_bank_another(
    registry: Registry,
) -> None:
    patent = await put_patent(registry)
    filed = (await file(registry, filing(patent))).json()
    impostor = bank_headers("bank-qingdao", uscc=PLEDGEE["uscc"])
    registration = filed["registration_number"]

    read = await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}", headers=impostor)
    pledge = await registry.client.get(f"/v1/pledges/{registration}", headers=impostor)
    cancelled = await registry.client.post(
        f"/v1/pledges/{registration}/cancellation",
        json={"reason": "pledgee_waived"},
        headers=impostor,
    )
    filed_as_other = await registry.client.post(
        "/v1/pledge-filings", json=filing(await put_patent(registry)), headers=impostor
    )

    assert (read.status_code, problem_code(read)) == (404, "filing.not_found")
    assert (pledge.status_code, problem_code(pledge)) == (404, "pledge.not_found")
    assert (cancelled.status_code, problem_code(cancelled)) == (404, "pledge.not_found")
    assert (filed_as_other.status_code, problem_code(filed_as_other)) == (
        403,
        "filing.pledgee_not_caller",
    )
    still = (await registry.client.get(f"/v1/pledges/{registration}")).json()
    assert still["status"] == "active"


async def test_a_bank_the_directory_does_not_list_cannot_file(registry: Registry) -> None:
    patent = await put_patent(registry)
    unknown = bank_headers("bank-nowhere", uscc=PLEDGEE["uscc"])

    response = await registry.client.post(
        "/v1/pledge-filings", json=filing(patent), headers=unknown
    )

    assert (response.status_code, problem_code(response)) == (403, "bank.unknown")
    assert registry.database.filings.values() == []


def twin_numbers() -> tuple[str, str]:
    """An invention and a utility-model application number of one year."""
    serial = next(_serials)
    invention, utility = f"20191{serial + 500000:07d}", f"20192{serial + 500000:07d}"
    return (
        f"{invention}.{patent_check_digit(invention)}",
        f"{utility}.{patent_check_digit(utility)}",
    )


async def test_a_same_day_twin_on_the_register_warns_of_the_pair(registry: Registry) -> None:
    invention, utility = twin_numbers()
    await put_patent(registry, number=invention)
    await put_patent(registry, number=utility, same_day_twin=invention)
    another = twin_numbers()[0]
    wrong_kind = await registry.client.put(
        f"/internal/v1/patents/{another}",
        json={
            "number": another,
            "title": "Lens",
            "holders": [{"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}],
            "filing_date": "2019-03-01",
            "legal_status": "pending",
            "fees_paid_through": "2030-01-01",
            "same_day_twin": invention,
        },
    )

    warned = (await file(registry, filing(invention))).json()

    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["errors"][0]["code"] == "patent.twin_not_a_pair"
    assert warned["status"] == "in_examination"
    [finding] = warned["findings"]
    assert (finding["code"], finding["related"], finding["acknowledged"]) == (
        "patent.same_day_invention_utility",
        [utility],
        False,
    )
    acknowledged = filing(invention, acknowledgements=["patent.same_day_invention_utility"])
    assert (await file(registry, acknowledged)).json()["findings"][0]["acknowledged"] is True


async def test_the_parties_may_declare_a_same_day_pair(registry: Registry) -> None:
    patent = await put_patent(registry)
    stranger = twin_numbers()[0]

    declared = await file(registry, filing(patent, same_day_invention_utility=[patent]))
    not_pledged = await file(registry, filing(patent, same_day_invention_utility=[stranger]))

    assert declared.status_code == 201, declared.text
    assert declared.json()["status"] == "in_examination"
    assert [f["code"] for f in declared.json()["findings"]] == ["patent.same_day_invention_utility"]
    assert declared.json()["same_day_invention_utility"] == [patent]
    assert not_pledged.status_code == 422
    assert not_pledged.json()["errors"][0]["code"] == "filing.same_day_not_pledged"


async def put_mark(service: Registry, mark: str, goods: list[str], nice_class: int = 9) -> str:
    number = str(next(_marks))
    body = {
        "number": number,
        "nice_class": nice_class,
        "goods": goods,
        "mark": mark,
        "owner": {"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]},
        "valid_until": "2040-01-01",
    }
    response = await service.client.put(f"/internal/v1/trademarks/{number}", json=body)
    assert response.status_code == 200, response.text
    return number


def mark_filing(*numbers: str) -> dict[str, Any]:
    return filing() | {"patents": [], "trademarks": list(numbers)}


async def test_moonlens_and_moonlens_pro_are_pledged_together(registry: Registry) -> None:
    moonlens = await put_mark(registry, "MOONLENS", ["0901"])
    pro = await put_mark(registry, "MoonLens Pro", ["0901", "0907"])

    alone = (await file(registry, mark_filing(moonlens))).json()
    together = (await file(registry, mark_filing(moonlens, pro))).json()

    assert alone["status"] == "refused"
    [finding] = alone["findings"]
    assert (finding["code"], finding["related"]) == ("trademark.similar_marks_omitted", [pro])
    assert together["status"] == "registered"
    assert (
        sorted(registry.held(moonlens) + registry.held(pro))
        == [together["registration_number"]] * 2
    )


async def test_a_borderline_mark_waits_for_the_examiner(registry: Registry) -> None:
    moonlens = await put_mark(registry, "MOONLENS", ["0901"])
    star = await put_mark(registry, "MOONLENSTAR", ["0901"])
    await put_mark(registry, "SUNGLASS", ["0901"])

    held = (await file(registry, mark_filing(moonlens))).json()
    await claim(registry, held["filing_id"], "exa")
    unacknowledged = await act(registry, held["filing_id"], "register", "exa")
    body = {
        "codes": ["trademark.similar_marks_possible"],
        "note": "MOONLENSTAR reads as a different word; no confusion with MOONLENS.",
    }
    acknowledged = await act(registry, held["filing_id"], "acknowledge", "exa", body)

    assert held["status"] == "in_examination"
    [finding] = held["findings"]
    assert (finding["code"], finding["severity"], finding["related"]) == (
        "trademark.similar_marks_possible",
        "warning",
        [star],
    )
    assert problem_code(unacknowledged) == "filing.acknowledgement_missing"
    assert acknowledged.status_code == 200, acknowledged.text
    assert (await act(registry, held["filing_id"], "register", "exa")).status_code == 200
