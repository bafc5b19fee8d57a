"""Operator commands: `python -m shared.ops <command> --help`.

- `history CORRELATION_ID`: one case's events across every service, from the topics, in order.
- `dead-letters CONSUMER`: list what a consumer group dead-lettered, with the reasons.
- `replay CONSUMER EVENT_ID`: put a dead-lettered event back on its source topic. Consumer
  groups that handled it already skip it (their inbox has it); the one that failed retries.
- `republish SERVICE --since MOMENT`: after the broker lost records, publish again every event
  the service's outbox published at or after MOMENT (ISO 8601 with its zone, e.g.
  `2026-05-01T08:00:00+08:00`), in order per key, and every event of the compacted register
  topic whenever published; consumers skip the ones they had handled.
  The database is `--database-url`, else the service's `PLEDGEFLOW_<SERVICE>_DATABASE_URL`.
  The running service publishes them within a second; see the recovery runbook in README.md.
- `load-calendar YEAR FILE --token TOKEN`: enter a year's official schedule at the registry
  (YAML or JSON: `notice` with `reference` and `published_on`, `holidays` and
  `makeup_workdays` lists of dates), with a supervisor's or administrator's credential
  (`--token`, or the `PLEDGEFLOW_TOKEN` environment variable). Every service that counts
  working days receives it within seconds; entering the year again amends it.
- `issue-credential SUBJECT ROLE --audience SERVICE`: a bearer credential for a bank (role
  `bank`, subject the bank id) or a staff member (examiner, supervisor, administrator,
  credit_officer, appraiser), for one or more services, from the local development issuer:
  its signing key is made in `.data/dev-issuer/` on first use; the local stack trusts its
  public keys, production refuses them. With `--issuer NAME --keys DIR` it signs as an issuer
  of your own whose keys live in DIR (made on first use); list `DIR/jwks.json` in the
  services' trusted issuers with the banks or staff roles it may speak for.
- `rotate-signing-key`, `retire-signing-key KID`: a new signing key (the older ones stay
  published), and withdrawing an old one; the development issuer's unless `--issuer --keys`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.consumer import dead_letter_topic
from shared.issuer import LocalIssuer, development_issuer
from shared.migrations import DATABASES, SERVICES
from shared.recovery import Republished, beyond_retention, republish_database
from shared.tokens import Role, audience

TOPIC_PREFIX = "pledgeflow."


async def read_topics(bootstrap: str, topics: Iterable[str]) -> list[Any]:
    """Every record currently in `topics`, read without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        known = await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            if topic in known
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while await _behind(consumer, partitions, ends):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                records.extend(messages)
        return records
    finally:
        await consumer.stop()


async def _behind(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], ends: dict[Any, int]
) -> bool:
    for tp in partitions:
        if await consumer.position(tp) < ends[tp]:
            return True
    return False


async def all_topics(bootstrap: str) -> list[str]:
    """The pledgeflow topics on the broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(TOPIC_PREFIX))
    finally:
        await admin.close()


async def history(bootstrap: str, correlation_id: str) -> list[dict[str, Any]]:
    """One case's events from every topic, in the order they happened."""
    topics = [t for t in await all_topics(bootstrap) if ".dlq." not in t]
    events = []
    for record in await read_topics(bootstrap, topics):
        headers = dict(record.headers)
        if headers.get("correlation_id", b"").decode() == correlation_id:
            events.append({"topic": record.topic, **json.loads(record.value)})
    return sorted(events, key=lambda e: e["occurred_at"])


async def dead_letters(bootstrap: str, consumer: str) -> list[dict[str, Any]]:
    """What a consumer group dead-lettered: the reason, the source and the event."""
    found = []
    for record in await read_topics(bootstrap, [dead_letter_topic(consumer)]):
        headers = {k: v.decode() for k, v in record.headers}
        try:
            event_id = json.loads(record.value).get("event_id")
        except ValueError:
            event_id = None
        found.append(
            {
                "event_id": event_id,
                "reason": headers.get("dlq.reason"),
                "detail": headers.get("dlq.detail"),
                "source": _source(headers),
                "failed_at": headers.get("dlq.failed_at"),
                "record": record,
            }
        )
    return found


def _source(headers: dict[str, str]) -> str:
    topic, partition = headers.get("dlq.source_topic"), headers.get("dlq.source_partition")
    return f"{topic}[{partition}]@{headers.get('dlq.source_offset')}"


async def replay(bootstrap: str, consumer: str, event_id: str) -> str:
    """Republish one dead-lettered event to its source topic; returns that topic."""
    letters = [d for d in await dead_letters(bootstrap, consumer) if d["event_id"] == event_id]
    if not letters:
        raise LookupError(f"no dead letter {event_id} for {consumer}")
    record = letters[-1]["record"]
    headers = [(k, v) for k, v in record.headers if not k.startswith("dlq.")]
    source = dict(record.headers)["dlq.source_topic"].decode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(source, record.value, key=record.key, headers=headers)
    finally:
        await producer.stop()
    return source


def service_database_url(service: str, given: str | None = None) -> str:
    """The database `given`, else the one the service's environment names, else its local file."""
    if given:
        return given
    from_env = os.environ.get(f"PLEDGEFLOW_{service.upper()}_DATABASE_URL")
    return from_env or f"sqlite+aiosqlite:///.data/{service}.db"


def outbox_retention(service: str) -> timedelta:
    """How long the service keeps published outbox rows (its `OUTBOX_RETENTION`)."""
    from pydantic import TypeAdapter

    given = os.environ.get(f"PLEDGEFLOW_{service.upper()}_OUTBOX_RETENTION")
    return TypeAdapter(timedelta).validate_python(given) if given else timedelta(days=7)


def republish_report(service: str, since: datetime, done: Republished) -> str:
    """What `republish` tells the operator."""
    lines = [f"{service}: {done.rows} events published at or after {since.isoformat()} queued"]
    retention = outbox_retention(service)
    if beyond_retention(since, retention, datetime.now(UTC)):
        oldest = done.oldest_kept.isoformat() if done.oldest_kept else "none"
        lines.append(
            f"warning: {since.isoformat()} is older than the outbox retention ({retention}); "
            f"rows published before the oldest kept one ({oldest}) were purged and cannot "
            "be sent again"
        )
    return "\n".join(lines)


class CalendarLoadFailed(Exception):
    """The registry refused the schedule, or could not be asked."""


def calendar_body(year: int, path: Path) -> dict[str, Any]:
    """The request body for a year's schedule file (YAML or JSON)."""
    schedule = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(schedule, dict):
        raise CalendarLoadFailed(f"{path}: expected a mapping with notice, holidays and makeup")
    if "year" in schedule and int(schedule["year"]) != year:
        raise CalendarLoadFailed(f"{path} is the schedule of {schedule['year']}, not {year}")
    notice = schedule.get("notice") or {}
    return {
        "notice": {
            "reference": str(notice.get("reference", "")),
            "published_on": str(notice.get("published_on", "")),
        },
        "holidays": [str(d) for d in schedule.get("holidays") or []],
        "makeup_workdays": [str(d) for d in schedule.get("makeup_workdays") or []],
    }


def load_calendar(registry_url: str, year: int, path: Path, headers: dict[str, str]) -> Any:
    """Enter a year's schedule at the registry; returns the schedule now in force there."""
    if not any(name.lower() == "authorization" for name in headers):
        raise CalendarLoadFailed(
            "no credential: pass --token (or set PLEDGEFLOW_TOKEN) with a supervisor's or "
            "administrator's token, e.g. "
            '--token "$(python -m shared.ops issue-credential <your id> supervisor)"'
        )
    response = httpx.put(
        f"{registry_url}/internal/v1/calendar/{year}",
        json=calendar_body(year, path),
        headers=headers,
        timeout=10,
    )
    if response.status_code != 200:
        raise CalendarLoadFailed(f"the registry answered {response.status_code}: {response.text}")
    return response.json()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.ops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("history").add_argument("correlation_id")
    commands.add_parser("dead-letters").add_argument("consumer")
    replay_cmd = commands.add_parser("replay")
    replay_cmd.add_argument("consumer")
    replay_cmd.add_argument("event_id")
    credential = commands.add_parser("issue-credential")
    credential.add_argument("subject", help="bank id (role bank) or staff member")
    credential.add_argument("role", choices=[r.value for r in Role])
    credential.add_argument(
        "--audience",
        action="append",
        required=True,
        choices=SERVICES,
        help="a service the credential is for (repeat for several)",
    )
    credential.add_argument("--hours", type=float, default=8.0, help="validity")
    rotate = commands.add_parser("rotate-signing-key")
    retire = commands.add_parser("retire-signing-key")
    retire.add_argument("kid")
    for command in (credential, rotate, retire):
        command.add_argument("--issuer", help="sign as this issuer (with --keys)")
        command.add_argument("--keys", type=Path, help="folder of that issuer's keys")
    again = commands.add_parser("republish")
    again.add_argument("service", choices=DATABASES)
    again.add_argument(
        "--since",
        type=datetime.fromisoformat,
        required=True,
        help="ISO 8601 moment with its zone: everything published at or after it goes again",
    )
    again.add_argument("--database-url", help="default: $PLEDGEFLOW_<SERVICE>_DATABASE_URL")
    calendar = commands.add_parser("load-calendar")
    calendar.add_argument("year", type=int)
    calendar.add_argument("file", type=Path)
    calendar.add_argument("--registry", default="http://127.0.0.1:8001")
    calendar.add_argument(
        "--token",
        default=os.environ.get("PLEDGEFLOW_TOKEN"),
        help="a supervisor's or administrator's bearer token (default: $PLEDGEFLOW_TOKEN)",
    )
    calendar.add_argument("--header", action="append", default=[], help="NAME:VALUE")
    return parser


def _issuer(args: argparse.Namespace) -> LocalIssuer:
    if (args.issuer is None) != (args.keys is None):
        raise SystemExit("--issuer and --keys go together")
    if args.issuer is None:
        return development_issuer()
    issuer = LocalIssuer(args.issuer, args.keys)
    issuer.jwks()
    return issuer


def main(argv: list[str] | None = None) -> int:
    """Run one operator command."""
    args = _parser().parse_args(argv)
    if args.command == "history":
        for e in asyncio.run(history(args.bootstrap, args.correlation_id)):
            print(
                f"{e['occurred_at']}  {e['producer']:<10} {e['event_type']:<40} "
                f"{e['aggregate_id']} v{e['aggregate_version']}"
            )
    elif args.command == "dead-letters":
        for d in asyncio.run(dead_letters(args.bootstrap, args.consumer)):
            print(f"{d['failed_at']}  {d['event_id']}  {d['reason']}  {d['source']}  {d['detail']}")
    elif args.command == "issue-credential":
        audiences = [audience(service) for service in dict.fromkeys(args.audience)]
        print(
            _issuer(args).issue(
                args.subject,
                Role(args.role),
                audience=audiences[0] if len(audiences) == 1 else audiences,
                ttl=timedelta(hours=args.hours),
            )
        )
    elif args.command == "rotate-signing-key":
        print(_issuer(args).rotate())
    elif args.command == "retire-signing-key":
        _issuer(args).retire(args.kid)
    elif args.command == "republish":
        if args.since.tzinfo is None:
            print("republish: give --since with its zone, e.g. +08:00 or Z", file=sys.stderr)
            return 2
        url = service_database_url(args.service, args.database_url)
        done = asyncio.run(republish_database(url, args.service, args.since))
        print(republish_report(args.service, args.since, done))
    elif args.command == "replay":
        topic = asyncio.run(replay(args.bootstrap, args.consumer, args.event_id))
        print(f"replayed {args.event_id} to {topic}")
    else:
        headers = dict(h.split(":", 1) for h in args.header)
        if args.token:
            headers["Authorization"] = f"Bearer {args.token.strip()}"
        try:
            loaded = load_calendar(args.registry, args.year, args.file, headers)
        except (CalendarLoadFailed, OSError, httpx.HTTPError) as exc:
            print(f"load-calendar: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(loaded, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
