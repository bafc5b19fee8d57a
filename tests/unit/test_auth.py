"""Bearer credentials: who may call what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from shared.auth import CallingBank, Credentials, Principal, Role, staff
from shared.http import install_conventions
from shared.settings import DEVELOPMENT_KEY, ServiceSettings

KEY = "k" * 40
Examiner = Annotated[Principal, Depends(staff(Role.EXAMINER))]


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(KEY)


@pytest.fixture
async def client(credentials: Credentials):
    app = FastAPI()
    app.state.credentials = credentials
    install_conventions(app)

    @app.get("/bank-thing")
    async def bank_thing(caller: CallingBank) -> dict[str, str]:
        return {"bank": caller.subject}

    @app.get("/desk")
    async def desk(caller: Examiner) -> dict[str, str]:
        return {"examiner": caller.subject}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_bank_credential_names_the_bank(client, credentials) -> None:
    response = await client.get(
        "/bank-thing", headers=bearer(credentials.issue("bank-a", Role.BANK))
    )
    assert response.json() == {"bank": "bank-a"}


@pytest.mark.parametrize(
    ("path", "headers_for", "status", "code"),
    [
        ("/bank-thing", lambda c: {}, 401, "auth.missing"),
        ("/bank-thing", lambda c: bearer("not.a.token"), 401, "auth.invalid"),
        (
            "/bank-thing",
            lambda c: bearer(Credentials("x" * 40).issue("b", Role.BANK)),
            401,
            "auth.invalid",
        ),
        (
            "/bank-thing",
            lambda c: bearer(c.issue("b", Role.BANK, ttl=timedelta(seconds=-5))),
            401,
            "auth.expired",
        ),
        ("/bank-thing", lambda c: bearer(c.issue("e1", Role.EXAMINER)), 403, "auth.bank_only"),
        ("/desk", lambda c: bearer(c.issue("bank-a", Role.BANK)), 403, "auth.staff_only"),
        ("/desk", lambda c: bearer(c.issue("a1", Role.APPRAISER)), 403, "auth.role_forbidden"),
    ],
)
async def test_refusals_are_problems_with_stable_codes(
    client, credentials, path, headers_for, status, code
) -> None:
    response = await client.get(path, headers=headers_for(credentials))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["content-type"] == "application/problem+json"


async def test_staff_in_the_right_role_are_admitted(client, credentials) -> None:
    response = await client.get("/desk", headers=bearer(credentials.issue("e7", Role.EXAMINER)))
    assert response.json() == {"examiner": "e7"}


def test_a_token_expires_at_its_ttl(credentials) -> None:
    issued = datetime.now(UTC) - timedelta(hours=9)
    token = credentials.issue("bank-a", Role.BANK, now=issued)
    with pytest.raises(Exception, match="expired"):
        credentials.verify(token)


def test_production_refuses_the_development_signing_key() -> None:
    base: dict[str, Any] = {
        "database_url": "postgresql+asyncpg://u@h/d",
        "http_port": 1,
        "environment": "production",
    }
    with pytest.raises(ValueError, match="signing key"):
        ServiceSettings(**base)
    assert ServiceSettings(**base, auth_signing_key=SecretStr("s" * 40)).environment == "production"
    assert DEVELOPMENT_KEY != "s" * 40


def test_the_operator_command_issues_a_verifiable_credential(capsys, monkeypatch) -> None:
    from shared import ops

    monkeypatch.setenv("PLEDGEFLOW_AUTH_SIGNING_KEY", KEY)
    assert ops.main(["issue-credential", "bank-qingdao", "bank", "--hours", "1"]) == 0
    token = capsys.readouterr().out.strip()
    assert Credentials(KEY).verify(token) == Principal("bank-qingdao", Role.BANK)
