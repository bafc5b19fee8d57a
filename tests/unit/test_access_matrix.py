"""Every route of every service against the credentials that must not get through."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
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
from shared.auth import Credentials, Role
from tests.credentials import CREDENTIALS

PUBLIC = ("/healthz", "/readyz", "/v1/register/")


def _apps(tmp: Path) -> dict[str, FastAPI]:
    common: dict[str, Any] = {"kafka_bootstrap_servers": "memory://", "http_port": 0}
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


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


BANK_CASES = {
    "no credential": ({}, 401, "auth.missing"),
    "expired": (
        _bearer(CREDENTIALS.issue("bank-hangzhou", Role.BANK, ttl=timedelta(seconds=-1))),
        401,
        "auth.expired",
    ),
    "forged": (
        _bearer(Credentials("f" * 40).issue("bank-hangzhou", Role.BANK)),
        401,
        "auth.invalid",
    ),
    "internal role": (_bearer(CREDENTIALS.issue("e1", Role.EXAMINER)), 403, "auth.bank_only"),
}
INTERNAL_CASES = {
    "no credential": ({}, 401, "auth.missing"),
    "expired": (
        _bearer(CREDENTIALS.issue("s1", Role.SUPERVISOR, ttl=timedelta(seconds=-1))),
        401,
        "auth.expired",
    ),
    "bank credential": (
        _bearer(CREDENTIALS.issue("bank-hangzhou", Role.BANK, uscc="91330100609123456B")),
        403,
        "auth.staff_only",
    ),
}


async def test_every_route_refuses_the_wrong_credentials(tmp_path: Path) -> None:
    outcomes: list[str] = []
    checked = 0
    for service, app in _apps(tmp_path).items():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for method, path in _routes(app):
                cases = INTERNAL_CASES if path.startswith("/internal/") else BANK_CASES
                for name, (headers, status, code) in cases.items():
                    response = await client.request(method, path, headers=headers, json={})
                    checked += 1
                    got = (response.status_code, response.json().get("code"))
                    if got != (status, code):
                        outcomes.append(f"{service} {method} {path} [{name}]: {got}")
    assert outcomes == []
    assert checked > 100


def test_the_public_register_is_the_only_unauthenticated_business_route(tmp_path: Path) -> None:
    public = sorted(
        path
        for app in _apps(tmp_path).values()
        for path in app.openapi()["paths"]
        if path.startswith(PUBLIC)
    )
    assert public == ["/healthz"] * 3 + ["/readyz"] * 3 + ["/v1/register/entries"]
