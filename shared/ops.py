"""What operators do with a running system, as library functions: `pledgeflow` calls them.

- `history`: one case's events across every service, from the topics, in order.
- `dead_letters`, `dead_letter_counts`: what consumer groups dead-lettered, with the reasons.
- `replay`, `replay_many`: put dead-lettered events back on their source topic. Consumer
  groups that handled one already skip it (their inbox has it); the one that failed retries.
- `load_calendar`, `calendar_year`: enter a year's official schedule at the registry (YAML or
  JSON: `notice` with `reference` and `published_on`, `holidays` and `makeup_workdays` lists
  of dates) and read the schedule in force; both need a staff credential.
- `republish_database` (in `shared.recovery`), `republish_report`: after the broker lost
  records, publish again what a service's outbox published since a moment.
- `reconciliation`: credit's last reconciliation of its loans with the registry's pledges, or a
  new one; needs an operator's credential.

Reading a topic reports its progress through `on_progress(records read, records in all)`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.recovery import Republished, beyond_retention
from shared.topics import DEAD_LETTER_PREFIX, dead_letter_topic

TOPIC_PREFIX = "pledgeflow."

Progress = Callable[[int, int], None]


# Empty fetches in a row (a second each) after which a topic read ends short of the end offsets.
IDLE_FETCHES = 3


def _ignore(read: int, total: int) -> None:
    pass


async def read_topics(
    bootstrap: str, topics: Iterable[str], on_progress: Progress = _ignore
) -> list[Any]:
    """Every record currently in `topics`, read without a consumer group.

    The total reported comes from the partitions' offsets, which count records on Kafka; a
    broker that numbers batches instead (the embedded one) shows fewer, and the total then
    grows with what is read.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        await consumer.start()
        known = await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            if topic in known
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            on_progress(0, 0)
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        records: list[Any] = []
        on_progress(0, total)
        idle = 0
        while idle < IDLE_FETCHES and await _behind(consumer, partitions, ends):
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                records.extend(messages)
            # A position can stay short of the end offset read at the start when the broker
            # numbers its log otherwise (batches, gaps left by compaction, a log recreated after
            # a loss): once fetches keep coming back empty, everything there is has been read.
            idle = 0 if any(batches.values()) else idle + 1
            on_progress(len(records), max(total, len(records)))
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
    try:
        await admin.start()
        return sorted(t for t in await admin.list_topics() if t.startswith(TOPIC_PREFIX))
    finally:
        await admin.close()


async def history(
    bootstrap: str, correlation_id: str, on_progress: Progress = _ignore
) -> list[dict[str, Any]]:
    """One case's events from every topic, in the order they happened."""
    topics = [t for t in await all_topics(bootstrap) if not t.startswith(DEAD_LETTER_PREFIX)]
    events = []
    for record in await read_topics(bootstrap, topics, on_progress):
        headers = dict(record.headers)
        if headers.get("correlation_id", b"").decode() == correlation_id:
            events.append({"topic": record.topic, **json.loads(record.value)})
    return sorted(events, key=lambda e: e["occurred_at"])


async def dead_letters(
    bootstrap: str, consumer: str, on_progress: Progress = _ignore
) -> list[dict[str, Any]]:
    """What a consumer group dead-lettered: the reason, the source and the event."""
    found = []
    for record in await read_topics(bootstrap, [dead_letter_topic(consumer)], on_progress):
        found.append(_letter(record))
    return found


def _letter(record: Any) -> dict[str, Any]:
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    try:
        event_id = json.loads(record.value).get("event_id")
    except (ValueError, AttributeError):
        event_id = None
    return {
        "event_id": event_id,
        "reason": headers.get("dlq.reason"),
        "detail": headers.get("dlq.detail"),
        "source": _source(headers),
        "failed_at": headers.get("dlq.failed_at"),
        "record": record,
    }


def _source(headers: dict[str, str]) -> str:
    topic, partition = headers.get("dlq.source_topic"), headers.get("dlq.source_partition")
    return f"{topic}[{partition}]@{headers.get('dlq.source_offset')}"


@dataclass(frozen=True)
class DeadLetterCount:
    """How many events one consumer group dead-lettered, by reason."""

    consumer: str
    count: int
    reasons: dict[str, int]


async def dead_letter_counts(
    bootstrap: str, on_progress: Progress = _ignore
) -> list[DeadLetterCount]:
    """Every consumer group with a dead-letter topic, and what is in it."""
    topics = [t for t in await all_topics(bootstrap) if t.startswith(DEAD_LETTER_PREFIX)]
    by_topic: dict[str, Counter[str]] = {topic: Counter() for topic in topics}
    for record in await read_topics(bootstrap, topics, on_progress):
        by_topic[record.topic][_letter(record)["reason"] or "unknown"] += 1
    return [
        DeadLetterCount(topic.removeprefix(DEAD_LETTER_PREFIX), sum(c.values()), dict(c))
        for topic, c in by_topic.items()
    ]


class NoSuchDeadLetter(LookupError):
    """A dead letter asked for is not in the consumer group's dead-letter topic."""

    def __init__(self, consumer: str, event_ids: Sequence[str]) -> None:
        super().__init__(f"no dead letter {', '.join(event_ids)} for {consumer}")
        self.consumer = consumer
        self.event_ids = list(event_ids)


async def replay_many(
    bootstrap: str,
    consumer: str,
    event_ids: Sequence[str] | None,
    on_progress: Progress = _ignore,
) -> list[tuple[str, str]]:
    """Republish dead-lettered events (all of them when `event_ids` is None) to their sources.

    Each event goes back once, as its latest dead letter; returns (event id, topic) pairs in
    the order they were sent. Nothing is sent when an asked-for event id is missing.
    """
    letters = {d["event_id"]: d for d in await dead_letters(bootstrap, consumer)}
    readable = [event_id for event_id in letters if event_id is not None]
    wanted = readable if event_ids is None else list(dict.fromkeys(event_ids))
    missing = [event_id for event_id in wanted if event_id not in letters]
    if missing:
        raise NoSuchDeadLetter(consumer, missing)
    sent: list[tuple[str, str]] = []
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        on_progress(0, len(wanted))
        for event_id in wanted:
            record = letters[event_id]["record"]
            headers = [(k, v) for k, v in record.headers if not k.startswith("dlq.")]
            source = dict(record.headers)["dlq.source_topic"].decode()
            await producer.send_and_wait(source, record.value, key=record.key, headers=headers)
            sent.append((event_id, source))
            on_progress(len(sent), len(wanted))
    finally:
        await producer.stop()
    return sent


async def replay(bootstrap: str, consumer: str, event_id: str) -> str:
    """Republish one dead-lettered event to its source topic; returns that topic."""
    [(_, topic)] = await replay_many(bootstrap, consumer, [event_id])
    return topic


def outbox_retention(service: str) -> timedelta:
    """How long the service keeps published outbox rows (its `OUTBOX_RETENTION`)."""
    from shared.migrations import settings_of

    retention: timedelta = settings_of(service).outbox_retention
    return retention


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
    """The schedule file cannot be read as a year's schedule."""


class Refused(Exception):
    """A service answered with an error: its status and problem details."""

    def __init__(self, service: str, status: int, code: str | None, detail: str) -> None:
        super().__init__(f"the {service} answered {status} {code or ''}: {detail}".strip())
        self.service = service
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def of(cls, service: str, response: httpx.Response) -> Refused:
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        detail = problem.get("detail") or problem.get("title") or response.text[:200]
        return cls(service, response.status_code, problem.get("code"), str(detail))


def calendar_body(year: int, path: Path) -> dict[str, Any]:
    """The request body for a year's schedule file (YAML or JSON)."""
    try:
        schedule = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CalendarLoadFailed(f"{path} is not YAML or JSON: {exc}") from exc
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
    response = httpx.put(
        f"{registry_url.rstrip('/')}/internal/v1/calendar/{year}",
        json=calendar_body(year, path),
        headers=headers,
        timeout=10,
    )
    if response.status_code != 200:
        raise Refused.of("registry", response)
    return response.json()


def calendar_year(registry_url: str, year: int, headers: dict[str, str]) -> Any:
    """The schedule in force at the registry for `year`."""
    response = httpx.get(
        f"{registry_url.rstrip('/')}/internal/v1/calendar/{year}", headers=headers, timeout=10
    )
    if response.status_code != 200:
        raise Refused.of("registry", response)
    return response.json()


def reconciliation(credit_url: str, headers: dict[str, str], run: bool) -> dict[str, Any]:
    """Credit's last reconciliation of its loans with the registry's pledges, with its
    mismatches (with `run`, a new reconciliation first); needs an operator's credential."""
    runs = f"{credit_url.rstrip('/')}/internal/v1/reconciliation/runs"
    if run:
        response = httpx.post(runs, headers=headers, timeout=120)
    else:
        response = httpx.get(f"{runs}/latest", headers=headers, timeout=10)
    if response.status_code != 200:
        raise Refused.of("credit", response)
    found: dict[str, Any] = response.json()
    return found
