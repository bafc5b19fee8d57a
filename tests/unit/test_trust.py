"""Which issuers a service trusts, production's refusals, and the development issuer command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.auth import trusted_issuers, verifier_for
from shared.cli.app import app
from shared.http import Problem
from shared.issuer import LocalIssuer
from shared.settings import ServiceSettings
from shared.tokens import (
    DEVELOPMENT_ISSUER,
    STAFF_ROLES,
    Role,
    TrustedIssuer,
    load_trusted_issuers,
)
from tests.credentials import ISSUER

PRODUCTION = {
    "database_url": "postgresql+asyncpg://u@h/d",
    "http_port": 1,
    "environment": "production",
    "kafka_replication_factor": 3,
}
BANK_IDP = """
issuers:
  - issuer: https://login.hzbank.example/oauth2
    jwks: https://login.hzbank.example/oauth2/jwks
    banks: [bank-hangzhou]
  - issuer: https://sso.ipoffice.example
    jwks: office/jwks.json
    staff_roles: [examiner, supervisor]
"""


def issuers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "issuers.yaml"
    path.write_text(text)
    return path


def test_trusted_issuers_name_their_keys_and_whom_they_speak_for(tmp_path: Path) -> None:
    bank, office = load_trusted_issuers(issuers_file(tmp_path, BANK_IDP))
    assert bank == TrustedIssuer(
        "https://login.hzbank.example/oauth2",
        "https://login.hzbank.example/oauth2/jwks",
        banks=frozenset({"bank-hangzhou"}),
    )
    assert office.jwks == str(tmp_path / "office" / "jwks.json")
    assert office.staff_roles == {Role.EXAMINER, Role.SUPERVISOR}
    assert bank.speaks_for(Role.BANK, "bank-hangzhou")
    assert not bank.speaks_for(Role.BANK, "bank-qingdao")
    assert not office.speaks_for(Role.BANK, "bank-hangzhou")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("- {issuer: a, banks: [b]}", "needs `issuer` and `jwks`"),
        ("- {issuer: a, jwks: k.json}", "speaks for no bank and no role"),
        ("- {issuer: a, jwks: k.json, staff_roles: [bank]}", "not `staff_roles`"),
        ("- {issuer: a, jwks: k.json, staff_roles: [superuser]}", "superuser"),
        (
            "- {issuer: a, jwks: k.json, banks: [b]}\n  - {issuer: a, jwks: j.json, banks: [c]}",
            "twice",
        ),
    ],
)
def test_a_bad_issuers_file_stops_the_service(tmp_path: Path, entry: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        load_trusted_issuers(issuers_file(tmp_path, f"issuers:\n  {entry}\n"))


def test_development_trusts_the_development_issuer_for_everyone() -> None:
    settings = ServiceSettings(database_url="sqlite+aiosqlite://", http_port=1)
    [issuer] = trusted_issuers(settings)
    assert issuer.issuer == DEVELOPMENT_ISSUER
    assert issuer.speaks_for(Role.BANK, "bank-qingdao")
    assert issuer.staff_roles == STAFF_ROLES


def test_production_needs_its_own_trusted_issuers() -> None:
    with pytest.raises(ValueError, match="trusted issuers"):
        ServiceSettings(**PRODUCTION)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (f"{{issuer: {DEVELOPMENT_ISSUER}, jwks: dev.json, banks: ['*']}}", "development issuer"),
        ("{issuer: https://idp.example, jwks: k.json, banks: ['*']}", "every bank"),
        ("{issuer: https://idp.example, jwks: 'http://idp.example/k', banks: [b]}", "plain http"),
    ],
)
def test_production_refuses_issuers_that_could_speak_for_anyone(
    tmp_path: Path, entry: str, reason: str
) -> None:
    path = issuers_file(tmp_path, f"issuers:\n  - {entry}\n")
    settings = ServiceSettings(**PRODUCTION, auth_issuers_file=path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=reason):
        verifier_for(settings, "registry")


def test_production_accepts_https_issuers_that_list_their_banks(tmp_path: Path) -> None:
    path = issuers_file(tmp_path, BANK_IDP)
    settings = ServiceSettings(**PRODUCTION, auth_issuers_file=path)  # type: ignore[arg-type]
    verifier = verifier_for(settings, "credit")
    assert verifier.audience == "pledgeflow-credit"


def test_each_service_verifies_with_its_own_audience_lifetime_and_leeway() -> None:
    settings = ServiceSettings(
        database_url="sqlite+aiosqlite://",
        http_port=1,
        auth_max_token_lifetime_hours=4,
        auth_clock_skew_seconds=30,
    )
    verifier = verifier_for(settings, "valuation")
    assert verifier.audience == "pledgeflow-valuation"
    assert verifier.max_lifetime.total_seconds() == 4 * 3600
    assert verifier.leeway.total_seconds() == 30


def test_the_clock_skew_tolerance_is_bounded() -> None:
    with pytest.raises(ValueError):
        ServiceSettings(
            database_url="sqlite+aiosqlite://", http_port=1, auth_clock_skew_seconds=600
        )


def pledgeflow(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["credentials", *args])
    return result.exit_code, result.stdout.strip(), result.stderr


async def test_the_command_issues_a_development_credential_for_the_named_service() -> None:
    settings = ServiceSettings(database_url="sqlite+aiosqlite://", http_port=1)
    code, token, _ = pledgeflow("issue", "bank-qingdao", "bank", "--audience", "credit")
    assert code == 0
    credit = await verifier_for(settings, "credit").verify(token)
    assert (credit.subject, credit.role, credit.issuer) == (
        "bank-qingdao",
        Role.BANK,
        DEVELOPMENT_ISSUER,
    )
    with pytest.raises(Problem) as refused:
        await verifier_for(settings, "registry").verify(token)
    assert refused.value.code == "auth.wrong_audience"


def test_the_command_names_the_services_a_credential_is_for() -> None:
    code, _, error = pledgeflow("issue", "clerk-1", "administrator")
    assert code == 2
    assert "--audience" in error


def test_the_development_key_rotates_and_retires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalIssuer(DEVELOPMENT_ISSUER, tmp_path / "dev")
    monkeypatch.setattr("shared.issuer.development_issuer", lambda: local)
    first = local.signing_kid
    code, second, _ = pledgeflow("rotate")
    assert code == 0
    assert local.signing_kid == second != first
    assert [k["kid"] for k in local.jwks()["keys"]] == [second, first]
    code, listed, _ = pledgeflow("keys", "--json")
    assert json.loads(listed) == [{"kid": second, "signs": True}, {"kid": first, "signs": False}]
    assert pledgeflow("retire", first)[0] == 0
    assert [k["kid"] for k in local.jwks()["keys"]] == [second]
    assert not (tmp_path / "dev" / "keys" / f"{first}.pem").exists()
    code, _, error = pledgeflow("retire", second)
    assert code == 1
    assert "the last key cannot be retired" in error and "pledgeflow credentials rotate" in error


async def test_an_operator_signs_as_an_issuer_of_their_own_that_services_can_trust(
    tmp_path: Path,
) -> None:
    name, keys = "https://ops.ipoffice.example/pledgeflow", tmp_path / "office"
    argv = ["issue", "clerk-1", "administrator", "--audience", "registry"]
    code, token, _ = pledgeflow(*argv, "--issuer", name, "--keys", str(keys))
    assert code == 0
    entry = f"{{issuer: '{name}', jwks: office/jwks.json, staff_roles: [administrator]}}"
    path = issuers_file(tmp_path, f"issuers:\n  - {entry}\n")
    settings = ServiceSettings(**PRODUCTION, auth_issuers_file=path)  # type: ignore[arg-type]
    clerk = await verifier_for(settings, "registry").verify(token)
    assert (clerk.subject, clerk.role, clerk.issuer) == ("clerk-1", Role.ADMINISTRATOR, name)
    code, _, error = pledgeflow(*argv, "--issuer", name)
    assert code == 2
    assert "--issuer and --keys go together" in error


def test_the_development_private_keys_are_readable_by_their_owner_only() -> None:
    keys = list((ISSUER.folder / "keys").glob("*.pem"))
    assert keys
    for key in keys:
        assert key.stat().st_mode & 0o077 == 0, key
