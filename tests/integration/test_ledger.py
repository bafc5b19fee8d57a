"""The decision ledger on PostgreSQL: every decision is chained in its transaction, and rows
altered, removed or reordered by hand are found by verification."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from services.registry.adapters.orm import metadata
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.auth import Role
from shared.issuer import DEVELOPMENT_ISSUER_DIR, LocalIssuer
from shared.ledger import GENESIS, Head, Verdict, entry_hash, verify_chain
from shared.ledger_keys import KEYS_IN_FORCE
from shared.tokens import DEVELOPMENT_ISSUER, audience
from tests.cli import pledgeflow
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, running
from tests.integration.test_registry_service import registered, registry  # noqa: F401
from tests.unit.registry_harness import act, claim, examined

pytestmark = pytest.mark.postgres

TABLES = metadata.tables
entries = TABLES["ledger_entries"]
REFUSAL = {"reasons": [{"code": "patent.invalidation_pending", "message": "Not confirmed."}]}


async def chain(service: Running) -> list[dict[str, Any]]:
    return sorted(await service.rows(entries), key=lambda row: row["seq"])


async def verify(service: Running, witnessed: list[Head] | None = None) -> Verdict:
    async with service.runtime.engine.connect() as connection:
        return await verify_chain(connection, TABLES, "registry", witnessed or [])


async def tamper(service: Running, *statements: str) -> None:
    async with service.runtime.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def decisions(service: Running) -> list[dict[str, Any]]:
    """A few decisions: two pledges registered at once, a claim and a refusal at the desk."""
    await registered(service)
    await registered(service)
    filed = await examined(service)
    await claim(service, filed["filing_id"], "exa")
    refused = await act(service, filed["filing_id"], "refuse", "exa", REFUSAL)
    assert refused.status_code == 200, refused.text
    return await chain(service)


async def test_every_decision_is_chained_in_order_with_its_details(
    registry: Running,  # noqa: F811
) -> None:
    rows = await decisions(registry)

    kinds = [row["kind"] for row in rows]
    assert kinds.count("registry.pledge.registered") == 2
    assert {"registry.filing.claimed", "registry.filing.refused"} <= set(kinds)
    assert "registry.filing.received" not in kinds
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    assert all(entry_hash(row) == row["hash"] for row in rows)
    refusal = next(row for row in rows if row["kind"] == "registry.filing.refused")
    details = json.loads(refusal["details"])
    assert details["payload"]["decided_by"] == "exa"
    assert "patent.invalidation_pending" in json.dumps(details["payload"])
    verdict = await verify(registry)
    assert verdict.intact, verdict
    assert (verdict.entries, verdict.last_seq, verdict.last_hash) == (
        len(rows),
        len(rows),
        rows[-1]["hash"],
    )


async def test_an_altered_entry_is_named(registry: Running) -> None:  # noqa: F811
    rows = await decisions(registry)
    pledge = next(row for row in rows if row["kind"] == "registry.pledge.registered")
    assert "300000.00" in pledge["details"]
    await tamper(
        registry,
        "UPDATE ledger_entries SET details = replace(details, '300000.00', '3000.00') "
        f"WHERE seq = {pledge['seq']}",
        f"UPDATE ledger_entries SET subject = 'another' WHERE seq = {rows[-1]['seq']}",
    )

    verdict = await verify(registry)

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (pledge["seq"], "altered")


async def test_an_entry_altered_and_rehashed_breaks_the_link_to_the_next(
    registry: Running,  # noqa: F811
) -> None:
    rows = await decisions(registry)
    second = dict(rows[1], subject="another")
    second["hash"] = entry_hash(second)
    await tamper(
        registry,
        f"UPDATE ledger_entries SET subject = 'another', hash = '{second['hash']}' WHERE seq = 2",
    )

    verdict = await verify(registry)

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (3, "relinked")


async def test_a_removed_entry_is_named(registry: Running) -> None:  # noqa: F811
    await decisions(registry)
    await tamper(registry, "DELETE FROM ledger_entries WHERE seq = 3")

    verdict = await verify(registry)

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (3, "removed")


async def test_removing_the_last_entries_is_seen_against_the_head(
    registry: Running,  # noqa: F811
) -> None:
    rows = await decisions(registry)
    await tamper(registry, f"DELETE FROM ledger_entries WHERE seq >= {len(rows) - 1}")

    verdict = await verify(registry)

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (len(rows) - 1, "truncated")


async def test_reordered_entries_are_named(registry: Running) -> None:  # noqa: F811
    await decisions(registry)
    await tamper(
        registry,
        "UPDATE ledger_entries SET seq = -1 WHERE seq = 2",
        "UPDATE ledger_entries SET seq = 2 WHERE seq = 3",
        "UPDATE ledger_entries SET seq = 3 WHERE seq = -1",
    )

    verdict = await verify(registry)

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (2, "reordered")


async def test_a_chain_rewritten_end_to_end_is_caught_by_a_witnessed_head(
    registry: Running,  # noqa: F811
) -> None:
    rows = await decisions(registry)
    witnessed = Head(3, rows[2]["hash"], rows[2]["recorded_at"], "credit")
    previous = GENESIS
    rewritten = []
    for row in rows:
        row = dict(row, prev_hash=previous)
        if row["seq"] == 2:
            row["subject"] = "another"
        row["hash"] = previous = entry_hash(row)
        rewritten.append(row)
    await tamper(registry, "DELETE FROM ledger_entries")
    async with registry.runtime.engine.begin() as connection:
        await connection.execute(entries.insert(), rewritten)
        await connection.execute(
            text("UPDATE ledger_head SET hash = :hash"), {"hash": rewritten[-1]["hash"]}
        )
    assert (await verify(registry)).intact

    verdict = await verify(registry, [witnessed])

    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.kind) == (3, "rewritten")
    assert "credit" in verdict.first_break.detail


async def test_the_command_exits_with_the_verdict(
    registry: Running,  # noqa: F811
) -> None:
    await decisions(registry)
    url = registry.runtime.settings.database_url
    args = ["ledger", "verify", "registry", "--database-url", url, "--json"]
    intact = await pledgeflow(*args)
    assert intact.exit_code == 0, intact.output
    assert json.loads(intact.stdout)["intact"] is True

    await tamper(registry, "UPDATE ledger_entries SET kind = 'registry.other' WHERE seq = 4")

    broken = await pledgeflow(*args)
    assert broken.exit_code == 1, broken.output
    printed = json.loads(broken.stdout)
    assert printed["first_break"]["seq"] == 4
    assert printed["first_break"]["kind"] == "altered"


async def test_each_change_of_an_issuers_signing_keys_is_entered(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    office = LocalIssuer("https://sso.ipoffice.example", tmp_path / "office")
    first = office.signing_kid
    issuers = tmp_path / "issuers.yaml"
    issuers.write_text(
        "issuers:\n"
        f"  - {{issuer: '{DEVELOPMENT_ISSUER}', jwks: '{DEVELOPMENT_ISSUER_DIR}/jwks.json',"
        " banks: ['*'], staff_roles: [supervisor, administrator, examiner]}\n"
        f"  - {{issuer: '{office.issuer}', jwks: office/jwks.json, staff_roles: [supervisor]}}\n"
    )
    settings = RegistrySettings(
        environment="test",
        database_url=await make_database("registry"),
        kafka_bootstrap_servers="memory://",
        http_port=0,
        auth_issuers_file=issuers,
        auth_jwks_cache_seconds=0.01,
    )

    async def as_office() -> None:
        await asyncio.sleep(0.05)
        token = office.issue("supervisor-wang", Role.SUPERVISOR, audience=audience("registry"))
        answer = await service.client.get(
            "/internal/v1/audit", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text

    async def kids_entered() -> list[list[str]]:
        rows = await chain(service)
        return [
            json.loads(row["details"])["kids"]
            for row in rows
            if row["kind"] == KEYS_IN_FORCE and row["subject"] == office.issuer
        ]

    async with running(create_app, settings) as service:
        await as_office()
        await as_office()
        second = office.rotate()
        await as_office()
        office.retire(first)
        await as_office()

        assert await kids_entered() == [[first], sorted([first, second]), [second]]
        assert (await verify(service)).intact
