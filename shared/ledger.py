"""The decision ledger: every decision a service takes, in a hash chain in its own database.

Each entry carries a sequence number and the hash of the entry before it; its own hash is the
SHA-256 of the canonical JSON of all its fields (see `entry_hash`). The unit of work appends
the entries in the transaction of the decision itself, so there is no decision without its
entry and no entry without its decision: an entry for each staged event whose type the service
names a decision, and one for each staff action it records with `record_decision`.

Appends are serialised per service by a lock on the single `ledger_head` row, taken as the
last write before the commit and held only until it: transactions that decide nothing never
touch it. `verify_chain` walks a chain and names the first entry altered, removed or
reordered; with the heads other services witnessed (`shared.ledger_heads`) it also finds a
chain rewritten from end to end.

`python -m shared.ledger verify SERVICE --database-url URL [--witness NAME=URL ...]` runs it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import create_engine
from shared.envelope import Envelope, to_primitive
from shared.tables import new_metadata

GENESIS = "0" * 64
HEAD = "chain"
HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "subject",
    "event_id",
    "correlation_id",
    "details",
    "prev_hash",
)


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(
        to_primitive(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def _instant(value: datetime) -> str:
    at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's fields, previous hash and seq included."""
    fields = {name: entry[name] for name in HASHED_FIELDS}
    fields["recorded_at"] = _instant(entry["recorded_at"])
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


@dataclass(frozen=True)
class Decision:
    """What an entry will say: the kind of decision, what it is about, and its details."""

    kind: str
    subject: str
    details: Mapping[str, Any]
    correlation_id: str | None = None
    event_id: str | None = None


def decision_of(envelope: Envelope) -> Decision:
    """The entry of a decision event: its type, aggregate, versions and whole payload."""
    return Decision(
        kind=envelope.event_type,
        subject=envelope.aggregate_id,
        details={
            "schema_version": envelope.schema_version,
            "aggregate_version": envelope.aggregate_version,
            "occurred_at": envelope.occurred_at,
            "payload": envelope.payload,
        },
        correlation_id=envelope.correlation_id,
        event_id=envelope.event_id,
    )


class Ledger:
    """A service's ledger: which of its events are decisions, and how entries are appended."""

    def __init__(self, tables: Mapping[str, Table], decisions: Iterable[str]) -> None:
        self.entries = tables["ledger_entries"]
        self.head = tables["ledger_head"]
        self.witnessed = tables["ledger_witnessed_heads"]
        self.decisions = frozenset(decisions)

    def decisions_in(self, staged: Iterable[tuple[str, Envelope, str | None]]) -> list[Decision]:
        """The entries owed for the events about to be committed (topic, event, trace)."""
        return [
            decision_of(envelope)
            for _, envelope, _ in staged
            if envelope.event_type in self.decisions
        ]

    async def append(self, session: AsyncSession, decisions: Sequence[Decision]) -> int:
        """Chain `decisions` onto the head in the caller's transaction; returns the new head's
        sequence number (0 when there was nothing to append)."""
        if not decisions:
            return 0
        seq, previous = await self._lock_head(session)
        now = datetime.now(UTC)
        rows = []
        for decision in decisions:
            seq += 1
            row: dict[str, Any] = {
                "seq": seq,
                "recorded_at": now,
                "kind": decision.kind,
                "subject": decision.subject[:200],
                "event_id": decision.event_id,
                "correlation_id": (decision.correlation_id or "")[:64] or None,
                "details": canonical(decision.details),
                "prev_hash": previous,
            }
            row["hash"] = previous = entry_hash(row)
            rows.append(row)
        await session.execute(self.entries.insert(), rows)
        await session.execute(
            update(self.head)
            .where(self.head.c.name == HEAD)
            .values(seq=seq, hash=previous, updated_at=now)
        )
        return seq

    async def _lock_head(self, session: AsyncSession) -> tuple[int, str]:
        statement = select(self.head.c.seq, self.head.c.hash).where(self.head.c.name == HEAD)
        found = (await session.execute(statement.with_for_update())).one_or_none()
        if found is None:
            name = session.get_bind().dialect.name
            dialect = postgresql if name == "postgresql" else sqlite
            await session.execute(
                dialect.insert(self.head)
                .values(name=HEAD, seq=0, hash=GENESIS, updated_at=datetime.now(UTC))
                .on_conflict_do_nothing()
            )
            found = (await session.execute(statement.with_for_update())).one()
        return int(found.seq), str(found.hash)


@dataclass(frozen=True)
class Head:
    """A chain's last entry as someone saw it: sequence number, hash and when."""

    seq: int
    hash: str
    at: datetime
    witness: str = ""


@dataclass(frozen=True)
class Break:
    """The first place a chain is not what was written.

    `kind`: `altered` (an entry's content no longer matches its hash), `removed` (entries are
    missing), `reordered` (an entry follows another than the one it was chained to),
    `relinked` (an entry no longer follows the one before it: that one was altered and
    rehashed, or entries between them were removed and the rest renumbered), `truncated` (the
    chain ends before a head that was recorded) or `rewritten` (an entry differs from the head
    another service witnessed).
    """

    seq: int
    kind: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of walking one service's chain."""

    service: str
    entries: int
    last_seq: int
    last_hash: str
    witnessed: int = 0
    first_break: Break | None = None

    @property
    def intact(self) -> bool:
        """Whether the chain is as it was written, as far as the heads checked can tell."""
        return self.first_break is None

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready primitives."""
        return {**asdict(self), "intact": self.intact}


@dataclass
class _Walk:
    expected: int = 1
    previous: str = GENESIS
    entries: int = 0
    hashes: dict[int, str] = field(default_factory=dict)


async def verify_chain(
    connection: AsyncConnection,
    tables: Mapping[str, Table],
    service: str,
    witnessed: Sequence[Head] = (),
) -> Verdict:
    """Walk a service's chain from its first entry; name the first one that is not as written.

    `witnessed` are heads of this chain that other services recorded: each must still be an
    entry of the chain, with the same hash.
    """
    entries = tables["ledger_entries"]
    wanted = {head.seq for head in witnessed}
    walk = _Walk()
    found: Break | None = None
    rows = await connection.stream(select(entries).order_by(entries.c.seq))
    async for row in rows:
        entry = dict(row._mapping)
        found = await _check(connection, entries, walk, entry)
        if found is not None:
            break
        walk.entries += 1
        walk.expected += 1
        walk.previous = entry["hash"]
        if entry["seq"] in wanted:
            walk.hashes[entry["seq"]] = entry["hash"]
    await rows.close()
    last_seq = walk.expected - 1
    if found is None:
        found = await _against_head(connection, tables["ledger_head"], last_seq, walk.previous)
    witness_break = _against_witnesses(witnessed, walk, last_seq, complete=found is None)
    if witness_break is not None and (found is None or witness_break.seq < found.seq):
        found = witness_break
    return Verdict(service, walk.entries, last_seq, walk.previous, len(witnessed), found)


async def _check(
    connection: AsyncConnection, entries: Table, walk: _Walk, entry: Mapping[str, Any]
) -> Break | None:
    seq = int(entry["seq"])
    if seq != walk.expected:
        missing = f"{walk.expected}" if seq == walk.expected + 1 else f"{walk.expected}..{seq - 1}"
        return Break(walk.expected, "removed", f"entries {missing} are missing")
    if entry["prev_hash"] != walk.previous:
        chained_to = await connection.scalar(
            select(entries.c.seq).where(entries.c.hash == entry["prev_hash"])
        )
        if chained_to is not None and chained_to != seq - 1:
            return Break(
                seq, "reordered", f"entry {seq} was chained after entry {chained_to}, not {seq - 1}"
            )
        return Break(
            seq,
            "relinked",
            f"entry {seq} no longer follows entry {seq - 1}: that one was altered and rehashed, "
            "or entries between them were removed",
        )
    if entry_hash(entry) != entry["hash"]:
        return Break(seq, "altered", f"entry {seq} ({entry['kind']}) does not match its hash")
    return None


async def _against_head(
    connection: AsyncConnection, head: Table, last_seq: int, last_hash: str
) -> Break | None:
    row = (await connection.execute(select(head.c.seq, head.c.hash))).one_or_none()
    if row is None or (row.seq == last_seq and row.hash == last_hash):
        return None
    if row.seq > last_seq:
        return Break(
            last_seq + 1, "truncated", f"the head is entry {row.seq}; entries end at {last_seq}"
        )
    return Break(row.seq, "altered", f"the head names entry {row.seq} with another hash")


def _against_witnesses(
    witnessed: Sequence[Head], walk: _Walk, last_seq: int, *, complete: bool
) -> Break | None:
    first: Break | None = None
    for head in sorted(witnessed, key=lambda h: h.seq):
        if head.seq == 0:
            continue
        if head.seq > last_seq:
            if complete:
                detail = f"{head.witness} recorded head {head.seq}; the chain ends at {last_seq}"
                first = first or Break(last_seq + 1, "truncated", detail)
            continue
        if walk.hashes.get(head.seq) != head.hash:
            detail = (
                f"entry {head.seq} differs from the head {head.witness} recorded "
                f"at {_instant(head.at)}"
            )
            candidate = Break(head.seq, "rewritten", detail)
            if first is None or candidate.seq < first.seq:
                first = candidate
    return first


async def chain_head(connection: AsyncConnection, tables: Mapping[str, Table]) -> Head:
    """The head of this service's chain (sequence 0 and the genesis hash when empty)."""
    head = tables["ledger_head"]
    row = (
        await connection.execute(select(head.c.seq, head.c.hash, head.c.updated_at))
    ).one_or_none()
    if row is None:
        return Head(0, GENESIS, datetime.fromtimestamp(0, UTC))
    return Head(int(row.seq), str(row.hash), row.updated_at)


async def witnessed_heads(
    connection: AsyncConnection, tables: Mapping[str, Table], service: str, witness: str
) -> list[Head]:
    """The heads of `service`'s chain that this database (of `witness`) recorded."""
    heads = tables["ledger_witnessed_heads"]
    rows = await connection.execute(
        select(heads.c.seq, heads.c.hash, heads.c.published_at)
        .where(heads.c.service == service)
        .order_by(heads.c.seq)
    )
    return [Head(int(r.seq), str(r.hash), r.published_at, witness) for r in rows]


async def verify_service(
    service: str, database_url: str, witnesses: Mapping[str, str] | None = None
) -> Verdict:
    """Verify `service`'s chain in its database against the heads the `witnesses` (name to
    database URL) recorded."""
    tables = new_metadata().tables
    heads: list[Head] = []
    for witness, url in (witnesses or {}).items():
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                heads += await witnessed_heads(connection, tables, service, witness)
        finally:
            await engine.dispose()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await verify_chain(connection, tables, service, heads)
    finally:
        await engine.dispose()
