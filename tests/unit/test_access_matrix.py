"""Every route of every service against the credentials that must not get through."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.credit.app import create_app as credit_app
from services.credit.settings import CreditSettings
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as valuation_app
from services.valuation.settings import ValuationSettings
from shared.auth import Role, bearer
from shared.settings import DEFAULT_BANK_DIRECTORY
from shared.tokens import DEVELOPMENT_ISSUER, audience
from tests.credentials import CREDENTIALS, ISSUER
from tests.forgeries import (
    alg_none,
    claims,
    hs256_with_public_key,
    public_key_pem,
    signed_by_stranger,
)

PUBLIC = ("/healthz", "/readyz", "/v1/register/")
SUSPENDED_BANK = """
  - bank_id: bank-ningbo
    legal_name: Ningbo Harbour Bank
    uscc: 91330200MA2CL8YX8J
    address: 1 Zhongshan Road, Ningbo
    status: suspended
"""


def _directory(tmp: Path) -> Path:
    path = tmp / "banks.yaml"
    path.write_text(DEFAULT_BANK_DIRECTORY.read_text(encoding="utf-8") + SUSPENDED_BANK)
    return path


def _apps(tmp: Path) -> dict[str, FastAPI]:
    common: dict[str, Any] = {
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "bank_directory_file": _directory(tmp),
    }
    return {
        "registry": registry_app(
            RegistrySettings(database_url=f"sqlite+aiosqlite:///{tmp}/r.db", **common)
        ),
        "valuation": valuation_app(
            ValuationSettings(database_url=f"sqlite+aiosqlite:///{tmp}/v.db", **common)
        ),
        "credit": credit_app(
            CreditSettings(database_url=f"sqlite+aiosqlite:///{tmp}/c.db", **common)
        ),
    }


def _routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for template, operations in app.openapi()["paths"].items():
        if template.startswith(PUBLIC):
            continue
        path = re.sub(r"\{[^}]+\}", "2031", template)
        for method in sorted(operations):
            yield method.upper(), path


def _dishonest(service: str, subject: str, role: Role) -> dict[str, tuple[str, int, str]]:
    """Credentials a dishonest caller would send to `service`, with the refusal each earns."""
    kid = ISSUER.signing_kid
    meant = claims(DEVELOPMENT_ISSUER, subject, role, audience(service))
    other = next(s for s in ("registry", "credit") if s != service)
    return {
        "no credential": ("", 401, "auth.missing"),
        "expired beyond the leeway": (
            CREDENTIALS.issue(
                subject, role, now=datetime.now(UTC) - timedelta(hours=1), ttl=timedelta(minutes=58)
            ),
            401,
            "auth.expired",
        ),
        "valid for ten years": (
            CREDENTIALS.issue(subject, role, ttl=timedelta(days=3650)),
            401,
            "auth.lifetime_too_long",
        ),
        "for another service": (
            CREDENTIALS.issue(subject, role, audience=audience(other)),
            401,
            "auth.wrong_audience",
        ),
        "signed by an untrusted key": (signed_by_stranger(meant, kid), 401, "auth.invalid"),
        "unsigned (alg none)": (alg_none(meant, kid), 401, "auth.invalid"),
        "HS256 keyed with the public key": (
            hs256_with_public_key(meant, kid, public_key_pem(ISSUER, kid)),
            401,
            "auth.invalid",
        ),
    }


def _cases(service: str, internal: bool) -> dict[str, tuple[str, int, str]]:
    if internal:
        return {
            **_dishonest(service, "s1", Role.SUPERVISOR),
            "bank credential": (
                CREDENTIALS.issue("bank-hangzhou", Role.BANK),
                403,
                "auth.staff_only",
            ),
        }
    return {
        **_dishonest(service, "bank-hangzhou", Role.BANK),
        "staff role": (CREDENTIALS.issue("e1", Role.EXAMINER), 403, "auth.bank_only"),
        "bank nobody knows": (CREDENTIALS.issue("bank-nowhere", Role.BANK), 403, "bank.unknown"),
        "suspended bank": (CREDENTIALS.issue("bank-ningbo", Role.BANK), 403, "bank.suspended"),
    }


async def test_every_route_refuses_the_wrong_credentials(tmp_path: Path) -> None:
    outcomes: list[str] = []
    checked = 0
    for service, app in _apps(tmp_path).items():
        cases = {internal: _cases(service, internal) for internal in (False, True)}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for method, path in _routes(app):
                for name, (token, status, code) in cases[path.startswith("/internal/")].items():
                    headers = bearer(token) if token else {}
                    response = await client.request(method, path, headers=headers, json={})
                    checked += 1
                    got = (response.status_code, response.json().get("code"))
                    if got != (status, code):
                        outcomes.append(f"{service} {method} {path} [{name}]: {got}")
    assert outcomes == []
    assert checked > 300


def test_the_public_register_is_the_only_unauthenticated_business_route(tmp_path: Path) -> None:
    public = sorted(
        path
        for app in _apps(tmp_path).values()
        for path in app.openapi()["paths"]
        if path.startswith(PUBLIC)
    )
    assert public == ["/healthz"] * 3 + ["/readyz"] * 3 + ["/v1/register/entries"]
