"""Chain heads travel on the ledger topic; another service keeps them, so a registry database
rewritten from end to end, hashes and head included, is still found out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from services.registry.adapters.orm import metadata
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as valuation_app
from services.valuation.settings import ValuationSettings
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.ledger import GENESIS, entry_hash
from shared.topics import LEDGER_HEADS
from tests.cli import pledgeflow
from tests.conftest import MakeDatabase
from tests.credentials import ActingAs
from tests.integration.conftest import Running, eventually
from tests.integration.test_registry_service import registered

pytestmark = pytest.mark.postgres

entries = metadata.tables["ledger_entries"]
witnessed = metadata.tables["ledger_witnessed_heads"]


@dataclass
class Pair:
    registry: Running
    valuation: Running


@asynccontextmanager
async def registry_and_valuation(make_database: MakeDatabase) -> AsyncIterator[Pair]:
    """Both services on one bus, publishing their heads every tenth of a second."""
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
        "ledger_head_interval": 0.1,
    }
    bus = InMemoryBus()
    apps = (
        registry_app(
            RegistrySettings(database_url=await make_database("registry"), **common), bus=bus
        ),
        valuation_app(
            ValuationSettings(database_url=await make_database("valuation"), **common), bus=bus
        ),
    )
    async with AsyncExitStack() as stack:
        services = []
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test", auth=ActingAs()
                )
            )
            services.append(Running(app, bus, client))
        yield Pair(*services)


async def head_witnessed(pair: Pair) -> dict[str, Any]:
    """Registry's current head, once valuation has kept it."""
    [head] = await pair.registry.rows(metadata.tables["ledger_head"])

    async def kept() -> bool:
        held = await pair.valuation.rows(witnessed, witnessed.c.seq == head["seq"])
        return bool(held) and held[0]["hash"] == head["hash"]

    await eventually(kept)
    return head


async def rewrite(service: Running, seq: int) -> None:
    """Change entry `seq` and rehash every entry and the head, as a thorough forger would."""
    async with service.runtime.engine.begin() as connection:
        rows = [dict(r._mapping) for r in await connection.execute(select(entries))]
        previous = GENESIS
        for row in sorted(rows, key=lambda r: r["seq"]):
            row["prev_hash"] = previous
            if row["seq"] == seq:
                row["subject"] = "forged"
            row["hash"] = previous = entry_hash(row)
        await connection.execute(text("DELETE FROM ledger_entries"))
        await connection.execute(entries.insert(), rows)
        await connection.execute(text("UPDATE ledger_head SET hash = :h"), {"h": previous})


async def verify(pair: Pair) -> tuple[int, dict[str, Any]]:
    """`pledgeflow ledger verify` of the registry's chain, valuation's database as witness:
    its exit code and its verdict."""
    result = await pledgeflow(
        "ledger",
        "verify",
        "registry",
        "--database-url",
        pair.registry.runtime.settings.database_url,
        "--witness",
        f"valuation={pair.valuation.runtime.settings.database_url}",
        "--json",
    )
    return result.exit_code, json.loads(result.stdout)


async def test_heads_are_published_and_kept_by_the_other_service(
    make_database: MakeDatabase,
) -> None:
    async with registry_and_valuation(make_database) as pair:
        await registered(pair.registry)
        first = await head_witnessed(pair)
        await registered(pair.registry)
        second = await head_witnessed(pair)

        assert second["seq"] > first["seq"] > 0
        heads = [Envelope.from_json(m.value) for m in pair.registry.bus.messages(LEDGER_HEADS)]
        published = [(e.payload["service"], e.payload["seq"]) for e in heads]
        assert ("registry", first["seq"]) in published
        assert ("registry", second["seq"]) in published
        assert await pair.registry.count(witnessed, witnessed.c.service == "registry") == 0
        code, verdict = await verify(pair)
        assert code == 0 and verdict["intact"] and verdict["witnessed"] >= 2


async def test_a_rewritten_chain_differs_from_the_heads_the_others_kept(
    make_database: MakeDatabase,
) -> None:
    async with registry_and_valuation(make_database) as pair:
        await registered(pair.registry)
        first = await head_witnessed(pair)
        await registered(pair.registry)
        await head_witnessed(pair)

        forged = first["seq"] - 1
        kept = await pair.valuation.rows(witnessed, witnessed.c.seq >= forged)
        await rewrite(pair.registry, seq=forged)

        code, verdict = await verify(pair)
        assert code == 1 and not verdict["intact"]
        assert verdict["first_break"]["kind"] == "rewritten"
        assert verdict["first_break"]["seq"] == min(head["seq"] for head in kept)
        assert "valuation" in verdict["first_break"]["detail"]
