"""Every operation of the three services, driven by its published OpenAPI document.

Schemathesis generates requests from each service's OpenAPI document (its examples, the
boundaries of every field, then random valid and invalid values) and sends them in-process
to the running service, on SQLite and the in-memory bus, with a valid credential: a bank's
for `/v1/...`, a supervisor's for `/internal/...`. Each answer must be no server error, a
status and body the document declares, a refusal of every request the schema forbids, and an
acceptance of every request the schema allows, unless the refusal names a rule a schema
cannot express (a check character, dates in the wrong order, a fact of the register).

The run is bounded: few examples per operation, a deadline per example and a fixed seed, so
the same run is repeated each time (set `PLEDGEFLOW_API_PROPERTIES_SEED` to explore others).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from services.credit.app import create_app as credit_app
from services.credit.domain.reconciliation import PledgeOnRecord
from services.credit.settings import CreditSettings
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as valuation_app
from services.valuation.settings import ValuationSettings
from shared.auth import Role
from shared.migrations import upgrade
from tests.credentials import bank_headers, staff_headers

SEED = int(os.environ.get("PLEDGEFLOW_API_PROPERTIES_SEED", "20261122"))
EXAMPLES_PER_OPERATION = 6
DEADLINE_MS = 3000

# Codes of rules the OpenAPI documents state (types, lengths, patterns, formats, enums):
# a schema-valid request refused with one of them means the document and the service disagree.
STATED_IN_SCHEMA = frozenset(
    {
        "text.control_character",
        "text.blank",
        "money.not_a_string",
        "money.format",
        "decimal.not_a_string",
        "decimal.format",
        "date.format",
        "date.invalid",
        "instant.format",
        "instant.invalid",
        "uscc.length",
        "uscc.charset",
        "patent_number.format",
        "patent_number.year",
        "patent_number.type",
        "trademark_number.format",
    }
)
ACCEPTED = frozenset({200, 201, 202, 204, 401, 403, 404, 409})

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "positive_data_acceptance": {"enabled": False},
            # A money-moving write without its Idempotency-Key is refused with 428 (RFC 6585),
            # as documented on the operation.
            "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]},
        },
    }
)

DATA = tempfile.mkdtemp(prefix="pledgeflow-api-properties-")
atexit.register(shutil.rmtree, DATA, True)
SERVICES = ("registry", "valuation", "credit")
URLS = {name: f"sqlite+aiosqlite:///{DATA}/{name}.db" for name in SERVICES}


def _app(service: str) -> FastAPI:
    common: dict[str, Any] = {
        "environment": "test",
        "database_url": URLS[service],
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
    }
    if service == "registry":
        return registry_app(RegistrySettings(**common))
    if service == "valuation":
        return valuation_app(ValuationSettings(**common))
    return credit_app(CreditSettings(**common), pledge_register=NoPledgesRegistered())


class NoPledgesRegistered:
    """The registry's pledges as credit reads them when it reconciles, with none registered:
    credit runs on its own here, so a reconciliation asked for answers rather than 502."""

    async def pledges_to(self, pledgee_uscc: str) -> list[PledgeOnRecord]:
        return []

    async def pledges(self, numbers: Iterable[str]) -> list[PledgeOnRecord]:
        return []


def _schema(service: str) -> Any:
    app = _app(service)
    schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
    schema.app = app
    schema.location = "/openapi.json"
    return schema


@schemathesis.check
def refused_only_by_rules_outside_the_schema(ctx: Any, response: Any, case: Any) -> None:
    """A request the schema allows is accepted, or refused for a rule no schema can state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    status = response.status_code
    if status in ACCEPTED:
        return
    if status != 422:
        raise AssertionError(f"a schema-valid request was answered {status}")
    body = response.json()
    codes = {body.get("code")} | {e.get("code") for e in body.get("errors") or []}
    stated = {c for c in codes if c in STATED_IN_SCHEMA or str(c).startswith("field.")}
    if stated:
        raise AssertionError(
            f"a schema-valid request was refused for {sorted(stated)}, which the schema allows"
        )


@pytest.fixture(scope="module", autouse=True)
def databases() -> Iterator[None]:
    """Each service's database at its latest migration; the apps stopped afterwards."""
    for service, url in URLS.items():
        upgrade(service, url)
    yield
    asgi.shutdown_lifespans()


def _headers(path: str) -> dict[str, str]:
    if path.startswith("/internal/"):
        return staff_headers("supervisor-1", Role.SUPERVISOR)
    return bank_headers()


registry = _schema("registry")
valuation = _schema("valuation")
credit = _schema("credit")
PROPERTY_SETTINGS = settings(
    deadline=DEADLINE_MS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@registry.parametrize()
@PROPERTY_SETTINGS
def test_registry_keeps_its_contract(case: Any) -> None:
    case.call_and_validate(headers=_headers(case.path))


@valuation.parametrize()
@PROPERTY_SETTINGS
def test_valuation_keeps_its_contract(case: Any) -> None:
    case.call_and_validate(headers=_headers(case.path))


@credit.parametrize()
@PROPERTY_SETTINGS
def test_credit_keeps_its_contract(case: Any) -> None:
    case.call_and_validate(headers=_headers(case.path))
