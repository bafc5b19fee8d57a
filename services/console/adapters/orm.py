"""The console's own tables: what it shows, kept from the topics, and who did what through it."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text

from shared.db import ExactNumeric, UtcDateTime
from shared.tables import calendar_schedule_table, new_metadata

metadata = new_metadata()
calendar_schedules = calendar_schedule_table(metadata)

case_events = Table(
    "case_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("correlation_id", String(64), nullable=False, index=True),
    Column("topic", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("producer", String(32), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("summary", Text, nullable=False),
    Column("payload", JSON, nullable=False),
)

case_keys = Table(
    "case_keys",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("correlation_id", String(64), primary_key=True),
)

filings = Table(
    "filings",
    metadata,
    Column("filing_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("correlation_id", String(64)),
    Column("filing_reference", String(64)),
    Column("channel", String(16)),
    Column("status", String(32), nullable=False),
    Column("claimed_by", String(64)),
    Column("pledgor", JSON, nullable=False),
    Column("pledgee", JSON, nullable=False),
    Column("patents", JSON, nullable=False),
    Column("trademarks", JSON, nullable=False),
    Column("findings", JSON, nullable=False),
    Column("received_at", UtcDateTime()),
    Column("deadline_at", UtcDateTime()),
    Column("deadline_provisional", Boolean, nullable=False),
    Column("sla_breached_at", UtcDateTime()),
    Column("decided_at", UtcDateTime()),
    Column("within_deadline", Boolean),
    Column("registration_number", String(32)),
)
Index("ix_filings_status_deadline", filings.c.status, filings.c.deadline_at)

rights = Table(
    "rights",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("right_type", String(16), nullable=False),
    Column("facts", JSON, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

valuations = Table(
    "valuations",
    metadata,
    Column("valuation_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("correlation_id", String(64)),
    Column("reference", String(64)),
    Column("requested_by", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("low", ExactNumeric(), nullable=False),
    Column("central", ExactNumeric(), nullable=False),
    Column("high", ExactNumeric(), nullable=False),
    Column("recommended_max_loan", ExactNumeric(), nullable=False),
    Column("rights", JSON, nullable=False),
    Column("completed_at", UtcDateTime(), nullable=False),
    Column("outcome", String(16)),
    Column("appraiser_id", String(64)),
    Column("signed_off_at", UtcDateTime()),
)

loans = Table(
    "loans",
    metadata,
    Column("loan_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("correlation_id", String(64)),
    Column("bank_id", String(64), nullable=False),
    Column("enterprise_uscc", String(18)),
    Column("enterprise_name", String(200)),
    Column("size_class", String(16)),
    Column("requested_amount", ExactNumeric()),
    Column("term_months", Integer),
    Column("status", String(32), nullable=False, index=True),
    Column("submitted_at", UtcDateTime()),
    Column("referral", JSON),
    Column("referred_at", UtcDateTime()),
    Column("outcome", String(16)),
    Column("decided_by", String(64)),
    Column("decided_at", UtcDateTime()),
    Column("approved_amount", ExactNumeric()),
    Column("inclusive", Boolean),
    Column("disbursed_amount", ExactNumeric()),
    Column("disbursed_at", UtcDateTime(), index=True),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("letter_id", String(300), primary_key=True),
    Column("consumer", String(100), nullable=False, index=True),
    Column("reason", String(100), nullable=False),
    Column("detail", Text, nullable=False),
    Column("source_topic", String(200), nullable=False),
    Column("source_partition", Integer),
    Column("source_offset", Integer),
    Column("failed_at", UtcDateTime()),
    Column("event_id", String(64)),
    Column("event_type", String(200)),
    Column("correlation_id", String(64)),
    Column("record_key", Text),
    Column("record_value", Text, nullable=False),
    Column("record_headers", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("redrive_count", Integer, nullable=False),
    Column("last_redriven_at", UtcDateTime()),
    Column("last_redriven_by", String(64)),
)

redrives = Table(
    "redrives",
    metadata,
    Column("redrive_id", String(36), primary_key=True),
    Column("letter_id", String(300), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime()),
)
Index(
    "ix_redrives_unpublished",
    redrives.c.requested_at,
    postgresql_where=redrives.c.published_at.is_(None),
    sqlite_where=redrives.c.published_at.is_(None),
)

console_actions = Table(
    "console_actions",
    metadata,
    Column("action_id", String(36), primary_key=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(300), nullable=False),
    Column("outcome", String(100), nullable=False),
    Column("detail", Text, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("flash", Text),
    Column("flash_kind", String(16)),
)
