"""Valuation throughput: the pure domain in-process, and the HTTP API in-process on SQLite.

`python -m bench.valuation` values a single invention patent and a 20-right bundle (patents,
utility models and trademarks, with comparables and a replacement cost) with the pure domain
and the 2026.1 parameter set, then starts the valuation service in-process (SQLite, in-memory
bus, `httpx.ASGITransport`), loads the same rights through registry events and requests
on-demand valuations over its HTTP API. It prints figures and asserts nothing. The rights are
dated from today (filed five years ago, granted three years ago), so every run values the same
mix of remaining terms whatever the year.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.flows import percentile
from services.valuation.adapters.parameters import load_parameters
from services.valuation.app import create_app
from services.valuation.domain import (
    BankInputs,
    Comparable,
    RightFacts,
    value_bundle,
)
from services.valuation.settings import ValuationSettings
from shared.auth import Role, bearer
from shared.bus.base import Record
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from shared.issuer import development_issuer
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.tokens import audience
from shared.workdays import BEIJING

AS_OF = datetime.now(BEIJING).date()
ISSUER = development_issuer()
BANK = bearer(ISSUER.issue("bank-hangzhou", Role.BANK, audience=audience("valuation")))
OFFICE = bearer(ISSUER.issue("bench-clerk", Role.ADMINISTRATOR, audience=audience("valuation")))
BUNDLE_PATENTS = 12
BUNDLE_TRADEMARKS = 8


@dataclass(frozen=True)
class Timing:
    """How long each valuation took, in seconds, and the wall time of the whole run."""

    samples: list[float]
    wall: float

    def report(self, label: str) -> str:
        micros = [s * 1e6 for s in self.samples]
        return (
            f"{label:<34} {len(self.samples) / self.wall:>10,.0f} valuations/s"
            f"   mean {statistics.fmean(micros):>9,.0f} us   p95 {percentile(micros, 95):>9,.0f} us"
        )


def patent_number(i: int, kind: str = "1") -> str:
    digits = f"{AS_OF.year - 5}{kind}{i + 1:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


def trademark_number(i: int) -> str:
    return str(40_000_000 + i)


def patent_facts(i: int) -> RightFacts:
    kind = "invention" if i % 3 else "utility_model"
    return RightFacts(
        right_type="patent",
        number=patent_number(i, "1" if kind == "invention" else "2"),
        patent_kind=kind,
        filing_date=date(AS_OF.year - 5, 3, 1),
        grant_date=date(AS_OF.year - 3, 1, 10),
        expiry_date=date(AS_OF.year + (15 if kind == "invention" else 5), 2, 28),
        legal_status="valid",
        claims=8 + i % 5,
        family_size=1 + i % 4,
        foreign_filings=i % 3,
        citations=3 * i % 17,
        licences=i % 2,
        maturity=("lab", "pilot", "mass_production")[i % 3],
    )


def trademark_facts(i: int) -> RightFacts:
    return RightFacts(
        right_type="trademark",
        number=trademark_number(i),
        grant_date=date(AS_OF.year - 6, 5, 1),
        expiry_date=date(AS_OF.year + 4, 4, 30),
        legal_status="valid",
        nice_class=9,
    )


def bundle_inputs(count: int) -> BankInputs:
    return BankInputs(
        annual_revenue=Decimal("60000000.00") / count,
        revenue_growth=Decimal("0.03"),
        industry="electronics",
        high_tech=True,
        comparables=(Comparable(Decimal("9000000.00") / count, Decimal("0.6")),),
        replacement_cost=Decimal("2000000.00") / count,
    )


def timed(run: Callable[[], object], iterations: int, warmup: int = 50) -> Timing:
    for _ in range(warmup):
        run()
    samples = []
    started = time.perf_counter()
    for _ in range(iterations):
        begun = time.perf_counter()
        run()
        samples.append(time.perf_counter() - begun)
    return Timing(samples, time.perf_counter() - started)


def bench_domain(iterations: int) -> list[str]:
    """Pure domain: one invention patent, and a bundle of 20 mixed rights."""
    params = load_parameters("2026.1")
    single = patent_facts(1)
    single_inputs = {
        single.number: BankInputs(annual_revenue=Decimal("8000000"), industry="default")
    }
    rights = [patent_facts(i) for i in range(BUNDLE_PATENTS)]
    rights += [trademark_facts(i) for i in range(BUNDLE_TRADEMARKS)]
    per_right = dict.fromkeys((r.number for r in rights), bundle_inputs(len(rights)))
    one = timed(lambda: value_bundle([single], single_inputs, params, AS_OF), iterations)
    twenty = timed(lambda: value_bundle(rights, per_right, params, AS_OF), max(1, iterations // 10))
    return [one.report("domain, single patent"), twenty.report("domain, 20-right bundle")]


def patent_event(i: int) -> Envelope:
    facts = patent_facts(i)
    payload = {
        "number": facts.number,
        "kind": facts.patent_kind,
        "holders": [{"name": "Bench Co", "uscc": make_uscc(7)}],
        "filing_date": str(facts.filing_date),
        "grant_date": str(facts.grant_date),
        "term_end": str(facts.expiry_date),
        "legal_status": "valid",
        "frozen": False,
        "invalidation_pending": False,
    }
    return _registry_event("registry.patent.recorded", facts.number, payload)


def trademark_event(i: int) -> Envelope:
    payload = {
        "number": trademark_number(i),
        "nice_class": 9,
        "owner": {"name": "Bench Co", "uscc": make_uscc(7)},
        "valid_until": str(trademark_facts(i).expiry_date),
        "status": "registered",
        "frozen": False,
    }
    return _registry_event("registry.trademark.recorded", trademark_number(i), payload)


def _registry_event(event_type: str, number: str, payload: dict[str, Any]) -> Envelope:
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_id=number,
        aggregate_version=1,
        producer="bench",
        payload=payload,
        correlation_id=f"bench-{number}",
    )


@asynccontextmanager
async def service(data_dir: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    url = f"sqlite+aiosqlite:///{data_dir / 'valuation.db'}"
    await asyncio.to_thread(upgrade, "valuation", url)
    settings = ValuationSettings(
        environment="test", database_url=url, kafka_bootstrap_servers="memory://"
    )
    bus = InMemoryBus()
    app = create_app(settings, bus=bus)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://valuation") as client,
    ):
        yield client, app.state.runtime


async def load_register(runtime: ServiceRuntime) -> None:
    events = [patent_event(i) for i in range(BUNDLE_PATENTS)]
    events += [trademark_event(i) for i in range(BUNDLE_TRADEMARKS)]
    await runtime.bus.publish(
        [Record("pledgeflow.registry.rights", e.aggregate_id, e.to_json()) for e in events]
    )
    consumer = next(c for c in runtime.consumers if c.name == "valuation.rights")
    while consumer.handled < len(events):
        await asyncio.sleep(0.01)


def request_body(bundle: bool) -> dict[str, Any]:
    if not bundle:
        rights = [{"right_type": "patent", "number": patent_number(1)}]
        return {"rights": rights, "annual_revenue": "8000000.00"}
    rights = [
        {"right_type": "patent", "number": patent_facts(i).number} for i in range(BUNDLE_PATENTS)
    ]
    rights += [
        {"right_type": "trademark", "number": trademark_number(i)} for i in range(BUNDLE_TRADEMARKS)
    ]
    return {
        "rights": rights,
        "annual_revenue": "60000000.00",
        "revenue_growth": "0.03",
        "industry": "electronics",
        "high_tech": True,
        "comparables": [{"price": "9000000.00", "similarity": "0.6"}],
        "replacement_cost": "2000000.00",
    }


async def timed_requests(
    client: httpx.AsyncClient, body: dict[str, Any], requests: int, concurrency: int
) -> Timing:
    samples: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            begun = time.perf_counter()
            response = await client.post("/v1/valuations", json=body, headers=BANK)
            response.raise_for_status()
            samples.append(time.perf_counter() - begun)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Timing(samples, time.perf_counter() - started)


async def bench_http(requests: int, concurrency: int) -> list[str]:
    """On-demand valuations over the service's HTTP API, in-process on SQLite."""
    with tempfile.TemporaryDirectory(prefix="bench-valuation-") as data_dir:
        async with service(Path(data_dir)) as (client, runtime):
            await load_register(runtime)
            await timed_requests(client, request_body(False), 20, 1)
            lines = []
            for bundle, label in ((False, "single patent"), (True, "20-right bundle")):
                count = requests if not bundle else max(1, requests // 4)
                timing = await timed_requests(client, request_body(bundle), count, concurrency)
                lines.append(timing.report(f"HTTP+SQLite, {label}, c={concurrency}"))
            return lines


def main() -> None:
    """`python -m bench.valuation [--iterations N] [--requests N] [--concurrency N]`."""
    parser = argparse.ArgumentParser(description="Valuation throughput")
    parser.add_argument("--iterations", type=int, default=2000, help="domain valuations")
    parser.add_argument("--requests", type=int, default=400, help="HTTP valuations")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP requests in flight")
    args = parser.parse_args()
    for line in bench_domain(args.iterations):
        print(line)
    for line in asyncio.run(bench_http(args.requests, args.concurrency)):
        print(line)


if __name__ == "__main__":
    main()
