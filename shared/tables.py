"""The tables every service owns, defined once: the outbox, the processed messages, the
audit log and the decision ledger. Each service's models hold them (`new_metadata`), and each
service's migrations create them from here (`create_shared`), so the databases cannot drift
apart; a test compares every service's migrated schema with its models.

Changing a definition here needs a migration in every service that brings existing databases
to the new shape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Date, Index, Integer, MetaData, String, Table, Text

from shared.db import Id, UtcDateTime
from shared.dedup import processed_messages_table

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MAX_PATH_LENGTH = 500
# version-traceid-parentid-flags: 2 + 32 + 16 + 2 hex digits and 3 dashes
TRACEPARENT_LENGTH = 55


def outbox_table(metadata: MetaData) -> Table:
    """Events waiting to be published, written in the same transaction as the state change."""
    table = Table(
        "outbox",
        metadata,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        # The W3C traceparent of the work that made the event (sent as a record header).
        Column("traceparent", String(TRACEPARENT_LENGTH), nullable=True),
    )
    Index(
        "ix_outbox_unpublished",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    return table


def relay_leases_table(metadata: MetaData) -> Table:
    """Who may publish a service's outbox, until when (see `shared.outbox.RelayLease`)."""
    return Table(
        "relay_leases",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(100), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
    )


def audit_table(metadata: MetaData) -> Table:
    """One row per audited request."""
    return Table(
        "audit_log",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("at", UtcDateTime(), nullable=False, index=True),
        Column("service", String(32), nullable=False),
        Column("actor", String(64), nullable=False, index=True),
        Column("role", String(32), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(MAX_PATH_LENGTH), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("correlation_id", String(64)),
    )


def calendar_schedule_table(metadata: MetaData) -> Table:
    """Every version of every year's schedule a service has stored; the newest is in force."""
    return Table(
        "calendar_schedules",
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("holidays", JSON, nullable=False),
        Column("makeup_workdays", JSON, nullable=False),
        Column("notice_reference", String(100), nullable=False),
        Column("notice_published_on", Date, nullable=False),
        Column("entered_by", String(64), nullable=False),
        Column("entered_at", UtcDateTime(), nullable=False),
        Column("stored_at", UtcDateTime(), nullable=False),
    )


def ledger_entries_table(metadata: MetaData) -> Table:
    """The decision ledger: one row per decision, chained by hash (see `shared.ledger`)."""
    return Table(
        "ledger_entries",
        metadata,
        Column("seq", Id, primary_key=True, autoincrement=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("kind", String(200), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("event_id", String(36)),
        Column("correlation_id", String(64)),
        Column("details", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=True),
    )


def ledger_head_table(metadata: MetaData) -> Table:
    """The last entry of the ledger: the one row every append locks and moves."""
    return Table(
        "ledger_head",
        metadata,
        Column("name", String(32), primary_key=True),
        Column("seq", Id, nullable=False),
        Column("hash", String(64), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )


def ledger_witnessed_heads_table(metadata: MetaData) -> Table:
    """The ledger heads the other services published, as this service received them."""
    return Table(
        "ledger_witnessed_heads",
        metadata,
        Column("service", String(32), primary_key=True),
        Column("seq", Id, primary_key=True, autoincrement=False),
        Column("hash", String(64), nullable=False),
        Column("published_at", UtcDateTime(), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False),
    )


SHARED_TABLES = {
    "outbox": outbox_table,
    "processed_messages": processed_messages_table,
    "relay_leases": relay_leases_table,
    "audit_log": audit_table,
    "ledger_entries": ledger_entries_table,
    "ledger_head": ledger_head_table,
    "ledger_witnessed_heads": ledger_witnessed_heads_table,
}
# Shared by the services that count working days, which add it to their models themselves.
OPTIONAL_TABLES = {"calendar_schedules": calendar_schedule_table}


def new_metadata() -> MetaData:
    """Metadata with the naming convention, holding every shared table."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    for define in SHARED_TABLES.values():
        define(metadata)
    return metadata


def create_shared(op: Any, name: str) -> None:
    """Create a shared table (with its indexes) from its one definition, in a migration."""
    define = SHARED_TABLES.get(name) or OPTIONAL_TABLES[name]
    table = define(MetaData(naming_convention=NAMING_CONVENTION))
    table.create(op.get_bind())


def merge_inbox_and_idempotency_keys(op: Any) -> None:
    """Move a service's `inbox` and `idempotency_keys` rows into `processed_messages`."""
    create_shared(op, "processed_messages")
    op.execute(
        "INSERT INTO processed_messages (scope, key, fingerprint, resource_id, processed_at) "
        "SELECT 'consumer:' || consumer, event_id, event_type, NULL, handled_at FROM inbox"
    )
    op.execute(
        "INSERT INTO processed_messages (scope, key, fingerprint, resource_id, processed_at) "
        "SELECT 'caller:' || owner, key, request_hash, resource_id, created_at "
        "FROM idempotency_keys"
    )
    op.drop_table("inbox")
    op.drop_table("idempotency_keys")


def add_relay_lease_and_commit_notification(op: Any, service: str) -> None:
    """The relay's lease table, and (on PostgreSQL) a NOTIFY on every outbox insert so the
    relay of any replica wakes at once."""
    create_shared(op, "relay_leases")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION pledgeflow_outbox_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT "
        f"EXECUTE FUNCTION pledgeflow_outbox_notify('pledgeflow_outbox_{service}')"
    )


def add_change_notification(op: Any, table: str, channel: str) -> None:
    """On PostgreSQL, a NOTIFY on `channel` when rows are inserted into `table`, delivered to
    every replica's listener when the inserting transaction commits."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION pledgeflow_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION pledgeflow_notify('{channel}')"
    )


def drop_change_notification(op: Any, table: str) -> None:
    """Undo `add_change_notification` (the shared function stays for the other tables)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")


def add_outbox_trace_context(op: Any) -> None:
    """The outbox's `traceparent` column (rows written before it carry none)."""
    op.add_column("outbox", Column("traceparent", String(TRACEPARENT_LENGTH), nullable=True))


LEDGER_TABLES = ("ledger_entries", "ledger_head", "ledger_witnessed_heads")


def create_ledger(op: Any) -> None:
    """The decision ledger's tables, in a service's migration."""
    for name in LEDGER_TABLES:
        create_shared(op, name)


def drop_ledger(op: Any) -> None:
    """Undo `create_ledger`."""
    for name in reversed(LEDGER_TABLES):
        op.drop_table(name)
