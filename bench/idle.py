"""What an idle replica costs: CPU per second of each service process, with nothing to do.

Starts the embedded broker and `--replicas` processes of each service on fresh PostgreSQL
databases, lets them settle, then reads every replica's CPU time (and that of the PostgreSQL
backends serving them, and of the broker) from /proc over `--seconds`. Each variant of the
polling settings runs on a stack of its own:

- `embedded`: what the local stack and the end-to-end tests use with the embedded broker
  (25 ms fetch waits, the relay's 0.5 s poll);
- `previous`: the production defaults before they were chosen by this measurement (500 ms
  fetch waits, 0.5 s relay poll);
- `defaults`: the settings' defaults (2 s fetch waits, 2 s relay poll).

The timers are the services' defaults in every variant (credit's 5 s sweep, the registry's
30 s SLA watch, the 60 s calendar and lending-terms looks).

Prints CPU milliseconds per second (1 ms/s = 0.1 % of one core) per replica and in total.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.flows import create_databases, drop_databases
from shared.devreplicas import ReplicatedStack, process_cpu_seconds
from shared.devstack import EmbeddedBroker, StackConfig, free_port
from shared.migrations import SERVICES
from shared.settings import ServiceSettings

# Settings of each variant (without the service prefix); unset ones keep the local stack's.
FIELDS = ServiceSettings.model_fields
CONSUMER_TIMINGS = {
    "KAFKA_SESSION_TIMEOUT_MS": str(FIELDS["kafka_session_timeout_ms"].default),
    "KAFKA_HEARTBEAT_INTERVAL_MS": str(FIELDS["kafka_heartbeat_interval_ms"].default),
}
VARIANTS: dict[str, dict[str, str]] = {
    "embedded": {},
    "previous": CONSUMER_TIMINGS
    | {"KAFKA_FETCH_MAX_WAIT_MS": "500", "OUTBOX_POLL_INTERVAL": "0.5"},
    "defaults": CONSUMER_TIMINGS
    | {
        "KAFKA_FETCH_MAX_WAIT_MS": str(FIELDS["kafka_fetch_max_wait_ms"].default),
        "OUTBOX_POLL_INTERVAL": str(FIELDS["outbox_poll_interval"].default),
    },
}


async def backends(admin_url: str, urls: dict[str, str]) -> list[int]:
    """The PostgreSQL backends connected to the services' databases."""
    names = [url.rsplit("/", 1)[1] for url in urls.values()]
    connection = await asyncpg.connect(admin_url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", names
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def cpu(pids: dict[str, int]) -> dict[str, float]:
    found = {}
    for name, pid in pids.items():
        try:
            found[name] = process_cpu_seconds(pid)
        except FileNotFoundError:
            continue
    return found


async def measure(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    urls = await create_databases(args.pg)
    data_dir = Path(tempfile.mkdtemp(prefix="pledgeflow-idle-"))
    broker = EmbeddedBroker(free_port(), data_dir / "logs" / "broker.log")
    broker.start()
    config = StackConfig(
        data_dir=data_dir,
        ports={service: free_port() for service in SERVICES},
        database_urls=urls,
        log_level="WARNING",
    )
    stack = ReplicatedStack(
        config, broker.bootstrap_servers, args.replicas, settings=VARIANTS[variant]
    )
    try:
        await asyncio.to_thread(stack.start)
        await asyncio.sleep(args.settle)
        pids = {name: process.pid for name, process in stack.processes.items()}
        assert broker.process is not None
        pids["broker"] = broker.process.pid
        pids |= {f"pg:{pid}": pid for pid in await backends(args.pg, urls)}
        before, started = cpu(pids), time.monotonic()
        await asyncio.sleep(args.seconds)
        after, elapsed = cpu(pids), time.monotonic() - started
    finally:
        await asyncio.to_thread(stack.stop)
        broker.stop()
        await drop_databases(args.pg, urls)
    spent = {name: (after[name] - before[name]) * 1000 / elapsed for name in after}
    replicas = {name: round(v, 1) for name, v in spent.items() if name[0] not in "bp"}
    return {
        "variant": variant,
        "settings": VARIANTS[variant],
        "seconds": round(elapsed, 1),
        "cpu_ms_per_s": replicas,
        "per_replica_mean": round(sum(replicas.values()) / len(replicas), 1),
        "postgresql_backends": round(sum(v for k, v in spent.items() if k.startswith("pg:")), 1),
        "broker": round(spent.get("broker", 0.0), 1),
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [await measure(args, variant) for variant in args.variants]


def main() -> None:
    parser = argparse.ArgumentParser(description="Idle CPU of each replica")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    results = asyncio.run(run(parser.parse_args()))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
