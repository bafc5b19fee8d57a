"""What a careless or hostile client sends, and what each of the three services answers.

Control characters in text, misspelt and unknown fields, values of the wrong JSON type, amounts
as JSON numbers, oversized bodies, unreadable bodies, unknown methods: each is refused with a
problem-details answer naming the field and the rule, and nothing is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.credit.app import create_app as credit_app
from services.credit.service_layer.banks import load_config
from services.credit.settings import DEFAULT_BANKS, CreditSettings
from services.registry.adapters.orm import metadata
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as valuation_app
from services.valuation.settings import ValuationSettings
from shared.banks import load_directory
from shared.identifiers import make_uscc, patent_check_digit
from shared.migrations import upgrade
from shared.settings import DEFAULT_BANK_DIRECTORY
from tests.dates import today
from tests.integration.conftest import Running, running

# Today in Beijing: the date the registry compares grant dates and fee payments with.
TODAY = today()
ENTERPRISE = {
    "uscc": make_uscc(41),
    "name": "Shanghai Lens Optics Co., Ltd.",
    "address": "1 Zhangjiang Road, Shanghai",
    "size_class": "small",
    "high_tech": True,
}
PATENT = f"201910000041.{patent_check_digit('201910000041')}"
PLEDGEE = {
    "name": "Hangzhou Science and Technology Bank",
    "uscc": "91330100609123456B",
    "address": "88 Qianjiang Road, Hangzhou",
}
OUTBOX = metadata.tables["outbox"]
CONTROLS = {
    "NUL": "\x00",
    "escape": "\x1b",
    "delete": "\x7f",
    "C1 next-line": "\x85",
    "right-to-left override": "\u202e",
    "line separator": "\u2028",
    "tab": "\t",
    "line feed": "\n",
}


@dataclass
class Services:
    registry: Running
    valuation: Running
    credit: Running


@pytest.fixture
async def services(sqlite_url: Callable[[str], str]) -> AsyncIterator[Services]:
    urls = {name: sqlite_url(name) for name in ("registry", "valuation", "credit")}
    for name, url in urls.items():
        await asyncio.to_thread(upgrade, name, url)
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
    }
    async with (
        running(registry_app, RegistrySettings(database_url=urls["registry"], **common)) as r,
        running(valuation_app, ValuationSettings(database_url=urls["valuation"], **common)) as v,
        running(credit_app, CreditSettings(database_url=urls["credit"], **common)) as c,
    ):
        yield Services(r, v, c)


def application(**changes: Any) -> dict[str, Any]:
    return {
        "enterprise": ENTERPRISE,
        "requested_amount": "1000000.00",
        "term_months": 12,
        "purpose": "working capital",
        "collateral": [{"right_type": "patent", "number": PATENT}],
        "attributable_revenue": "8000000.00",
    } | changes


def patent(**changes: Any) -> dict[str, Any]:
    return {
        "number": PATENT,
        "title": "Lens assembly with adaptive focus",
        "holders": [{"name": ENTERPRISE["name"], "uscc": ENTERPRISE["uscc"]}],
        "filing_date": "2019-03-01",
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": str(TODAY + timedelta(days=365)),
        "main_ipc": "G02B 7/02",
    } | changes


def filing(**changes: Any) -> dict[str, Any]:
    return {
        "pledgor": {k: ENTERPRISE[k] for k in ("name", "uscc", "address")},
        "pledgee": PLEDGEE,
        "debt_type": "loan",
        "secured_amount": "300000.00",
        "performance_deadline": str(TODAY + timedelta(days=365)),
        "patents": [PATENT],
        "scope_of_guarantee": "principal and interest",
    } | changes


def valuation(**changes: Any) -> dict[str, Any]:
    return {
        "rights": [{"right_type": "patent", "number": PATENT}],
        "annual_revenue": "8000000.00",
    } | changes


def refused(response: Any) -> dict[str, str]:
    """The field errors of a 422 problem, by field."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "request.invalid"
    return {e["field"]: e["code"] for e in problem["errors"]}


async def entries_announced(services: Services) -> int:
    return await services.registry.count(OUTBOX)


async def loans_of_the_bank(services: Services) -> int:
    return int((await services.credit.client.get("/v1/loans")).json()["total"])


@pytest.mark.parametrize("char", CONTROLS.values(), ids=CONTROLS.keys())
async def test_a_control_character_in_a_name_is_refused_by_every_service(
    services: Services, char: str
) -> None:
    enterprise = ENTERPRISE | {"name": f"Shanghai Lens{char}Optics Co., Ltd."}
    credit = await services.credit.client.post(
        "/v1/loan-applications", json=application(enterprise=enterprise)
    )
    title = await services.registry.client.put(
        f"/internal/v1/patents/{PATENT}", json=patent(title=f"Lens{char}assembly")
    )
    holder = [{"name": f"Lens{char}Optics", "uscc": ENTERPRISE["uscc"]}]
    holders = await services.registry.client.put(
        f"/internal/v1/patents/{PATENT}", json=patent(holders=holder)
    )
    industry = await services.valuation.client.post(
        "/v1/valuations", json=valuation(industry=f"optics{char}")
    )

    assert refused(credit) == {"enterprise.name": "text.control_character"}
    assert refused(title) == {"title": "text.control_character"}
    assert refused(holders) == {"holders.0.name": "text.control_character"}
    assert refused(industry) == {"industry": "text.control_character"}
    assert await loans_of_the_bank(services) == 0
    assert await entries_announced(services) == 0


async def test_a_nul_in_a_patent_title_is_a_422_not_a_server_error(services: Services) -> None:
    response = await services.registry.client.put(
        f"/internal/v1/patents/{PATENT}", json=patent(title="Aspheric lens\x00grinding")
    )

    assert refused(response) == {"title": "text.control_character"}
    assert "U+0000" in response.json()["errors"][0]["message"]


async def test_free_text_may_span_lines_but_holds_no_other_control(services: Services) -> None:
    lines = await services.credit.client.post(
        "/v1/loan-applications", json=application(purpose="working capital\r\n\tfor lenses")
    )
    escape = await services.credit.client.post(
        "/v1/loan-applications", json=application(purpose="working capital\x1b[2J")
    )

    assert lines.status_code == 201, lines.text
    assert refused(escape) == {"purpose": "text.control_character"}


async def test_blank_names_are_refused_and_names_are_kept_without_surrounding_space(
    services: Services,
) -> None:
    blank = await services.registry.client.post(
        "/v1/pledge-filings", json=filing(debt_type=" \u3000 ")
    )
    await services.registry.client.put(f"/internal/v1/patents/{PATENT}", json=patent())
    pledgor = {k: ENTERPRISE[k] for k in ("uscc", "address")} | {"name": "  Lens Optics  "}
    spaced = await services.registry.client.post("/v1/pledge-filings", json=filing(pledgor=pledgor))

    assert refused(blank) == {"debt_type": "text.blank"}
    assert spaced.status_code == 201, spaced.text
    assert spaced.json()["pledgor"]["name"] == "Lens Optics"


async def test_a_misspelt_field_is_refused_and_the_patent_is_not_entered(
    services: Services,
) -> None:
    body = patent() | {"invalidation_pendng": True}

    response = await services.registry.client.put(f"/internal/v1/patents/{PATENT}", json=body)

    assert refused(response) == {"invalidation_pendng": "field.unknown"}
    assert await entries_announced(services) == 0


async def test_unknown_fields_are_refused_wherever_they_are_nested(services: Services) -> None:
    credit = await services.credit.client.post(
        "/v1/loan-applications",
        json=application(enterprise=ENTERPRISE | {"registered_capital": "1000000.00"}),
    )
    valuation_body = valuation(comparables=[{"price": "1.00", "similarity": "0.5", "weight": 1}])
    valuing = await services.valuation.client.post("/v1/valuations", json=valuation_body)
    filed = await services.registry.client.post(
        "/v1/pledge-filings", json=filing(pledgee=PLEDGEE | {"branch": "Xihu"})
    )
    bulk = await services.registry.client.post(
        "/internal/v1/patents/bulk", json={"rows": [patent() | {"claims": 12}], "dry_run": True}
    )

    assert refused(credit) == {"enterprise.registered_capital": "field.unknown"}
    assert refused(valuing) == {"comparables.0.weight": "field.unknown"}
    assert refused(filed) == {"pledgee.branch": "field.unknown"}
    assert refused(bulk) == {"dry_run": "field.unknown"}
    assert await loans_of_the_bank(services) == 0


async def test_a_bulk_row_with_an_unknown_field_is_rejected_and_the_others_recorded(
    services: Services,
) -> None:
    second = f"201910000042.{patent_check_digit('201910000042')}"
    rows = [patent() | {"claims": 12}, patent(number=second)]

    report = await services.registry.client.post("/internal/v1/patents/bulk", json={"rows": rows})

    assert report.status_code == 200, report.text
    assert [r["status"] for r in report.json()["rows"]] == ["rejected", "recorded"]
    assert report.json()["rows"][0]["errors"] == [
        {"field": "claims", "message": "Extra inputs are not permitted", "code": "field.unknown"}
    ]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"high_tech": "true"}, "enterprise.high_tech", "field.bool_type"),
        ({"term_months": 12.0}, "term_months", "field.int_type"),
        ({"term_months": "12"}, "term_months", "field.int_type"),
        ({"purpose": 42}, "purpose", "field.string_type"),
    ],
)
async def test_values_of_the_wrong_json_type_are_not_coerced(
    services: Services, change: dict[str, Any], field: str, code: str
) -> None:
    body = (
        application(**change)
        if "high_tech" not in change
        else application(enterprise=ENTERPRISE | change)
    )

    response = await services.credit.client.post("/v1/loan-applications", json=body)

    assert refused(response) == {field: code}


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, "date.format"), ("20190301", "date.format"), ("2019-02-30", "date.invalid")],
)
async def test_dates_are_written_as_calendar_days(
    services: Services, value: Any, code: str
) -> None:
    body = patent(filing_date=value)

    response = await services.registry.client.put(f"/internal/v1/patents/{PATENT}", json=body)
    query = await services.registry.client.get("/v1/register/entries", params={"to": value})

    assert refused(response) == {"filing_date": code}
    assert refused(query) == {"to": code}


async def test_a_json_number_is_not_money_in_any_service(services: Services) -> None:
    credit = await services.credit.client.post(
        "/v1/loan-applications", json=application(requested_amount=500000.5)
    )
    registry = await services.registry.client.post(
        "/v1/pledge-filings", json=filing(secured_amount=300000)
    )
    valuing = await services.valuation.client.post(
        "/v1/valuations", json=valuation(annual_revenue=8000000.0)
    )

    assert refused(credit) == {"requested_amount": "money.not_a_string"}
    assert refused(registry) == {"secured_amount": "money.not_a_string"}
    assert refused(valuing) == {"annual_revenue": "money.not_a_string"}
    assert await loans_of_the_bank(services) == 0


@pytest.mark.parametrize(
    "amount",
    [
        *("1.234", "1e6", "+100.00", "-100.00", " 100.00", "1,000.00", "NaN", "Infinity"),
        *("0", "0.00", ".5", "5.", "", "0100.00", "10000000000000000.00"),
    ],
)
async def test_an_amount_is_a_positive_decimal_string_with_at_most_two_decimals(
    services: Services, amount: str
) -> None:
    response = await services.credit.client.post(
        "/v1/loan-applications", json=application(requested_amount=amount)
    )

    assert refused(response) == {"requested_amount": "money.format"}


async def test_amounts_are_kept_to_the_fen_up_to_the_largest_one(services: Services) -> None:
    body = application(requested_amount="9999999999999999.99", attributable_revenue="12.5")

    created = await services.credit.client.post("/v1/loan-applications", json=body)
    loan = await services.credit.client.get(f"/v1/loans/{created.json()['loan_id']}")

    assert created.status_code == 201, created.text
    assert loan.json()["requested_amount"] == "9999999999999999.99"


def test_money_is_documented_as_a_decimal_string(services: Services) -> None:
    document = services.credit.app.openapi()
    schemas = document["components"]["schemas"]
    requested = schemas["LoanApplicationIn"]["properties"]["requested_amount"]
    answered = schemas["LoanOut"]["properties"]["requested_amount"]

    assert requested["type"] == "string"
    assert requested["examples"] == ["1500000.00"]
    assert requested["pattern"].startswith("^")
    assert answered["type"] == "string" and answered["pattern"] == r"^-?[0-9]+\.[0-9]{2}$"


async def test_an_undeclared_method_gets_405_with_the_methods_allowed(
    services: Services,
) -> None:
    calendar = await services.registry.client.delete("/internal/v1/calendar/2027")
    bulk = await services.registry.client.put("/internal/v1/patents/bulk", json={"rows": []})

    assert (calendar.status_code, calendar.headers["allow"]) == (405, "GET, PUT")
    assert (bulk.status_code, bulk.headers["allow"]) == (405, "POST")
    assert calendar.json()["code"] == "method.not_allowed"


async def test_an_unreadable_body_is_a_documented_400(services: Services) -> None:
    response = await services.credit.client.post(
        "/v1/loan-applications",
        content=b'{"purpose": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    operation = services.credit.app.openapi()["paths"]["/v1/loan-applications"]["post"]

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "request.unreadable"
    assert {"400", "413", "422", "500"} <= set(operation["responses"])


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("credit", "/v1/loans/a%00b", "loan_id"),
        ("credit", "/v1/loans/" + "7" * 65, "loan_id"),
        ("registry", "/v1/pledge-filings/f%1b1", "filing_id"),
        ("registry", "/v1/pledges/Y2026%E2%80%AE1", "registration_number"),
        ("valuation", "/v1/valuations/v%20alu", "valuation_id"),
    ],
)
async def test_an_id_in_a_path_is_letters_digits_and_punctuation_only(
    services: Services, service: str, path: str, field: str
) -> None:
    running: Running = getattr(services, service)

    response = await running.client.get(path)

    assert refused(response) == {field: "id.format"}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("legal_name", "Hangzhou\x00Bank", "control character"),
        ("address", "88 Qianjiang Road\n2nd floor", "control character"),
        ("legal_name", "B" * 201, "longer than 200"),
    ],
)
def test_a_bank_the_registry_could_not_name_as_pledgee_is_refused_at_start(
    tmp_path: Path, field: str, value: str, error: str
) -> None:
    directory = yaml.safe_load(DEFAULT_BANK_DIRECTORY.read_text(encoding="utf-8"))
    directory["banks"][0][field] = value
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(directory, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ValueError, match=error):
        load_config(DEFAULT_BANKS, load_directory(path))
