"""The registry's own tables: the register of rights, filings and the pledge exclusivity index."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    String,
    Table,
    false,
    text,
)

from shared.db import ExactNumeric, Id, UtcDateTime
from shared.tables import calendar_schedule_table, new_metadata

metadata = new_metadata()
audit_log = metadata.tables["audit_log"]

patents = Table(
    "patents",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("title", String(500), nullable=False),
    Column("holders", JSON, nullable=False),
    Column("patentee_uscc", String(18), nullable=False, index=True),
    Column("filing_date", Date, nullable=False),
    Column("grant_date", Date),
    Column("legal_status", String(20), nullable=False),
    Column("fees_paid_through", Date, nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("invalidation_pending", Boolean, nullable=False),
    Column("main_ipc", String(32), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("same_day_twin", String(20), index=True),
)

trademarks = Table(
    "trademarks",
    metadata,
    Column("number", String(12), primary_key=True),
    Column("nice_class", Integer, nullable=False),
    Column("goods", JSON, nullable=False),
    Column("mark", String(200), nullable=False),
    Column("owner_name", String(200), nullable=False),
    Column("owner_uscc", String(18), nullable=False, index=True),
    Column("valid_until", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

filings = Table(
    "filings",
    metadata,
    Column("filing_id", String(36), primary_key=True),
    Column("filing_reference", String(64), index=True),
    Column("channel", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("pledgor_uscc", String(18), nullable=False, index=True),
    Column("pledgee_uscc", String(18), nullable=False, index=True),
    Column("secured_amount", ExactNumeric(18, 2), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("deadline_at", UtcDateTime(), nullable=False, index=True),
    Column("findings", JSON, nullable=False),
    Column("registration_number", String(20), unique=True),
    Column("decided_at", UtcDateTime()),
    Column("history", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("deadline_provisional", Boolean, nullable=False, server_default=false()),
    Column("claimed_by", String(64), index=True),
    Column("corrected_at", UtcDateTime()),
    Column("decisions", JSON, nullable=False, server_default=text("'[]'")),
    Column("sla_breached_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    Column("cancellation_reason", String(20)),
    Column("amendments", JSON, nullable=False, server_default=text("'[]'")),
    Column("correlation_id", String(64)),
    Column("deadline_basis", JSON),
)

pledged_rights = Table(
    "pledged_rights",
    metadata,
    Column("right_number", String(20), primary_key=True),
    Column("registration_number", String(20), nullable=False, index=True),
    Column("filing_id", String(36), nullable=False),
)

registration_counters = Table(
    "registration_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last_value", Integer, nullable=False),
)

calendar_schedules = calendar_schedule_table(metadata)

recordals = Table(
    "recordals",
    metadata,
    Column("recordal_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("right_number", String(20), nullable=False, index=True),
    Column("parties", JSON, nullable=False),
    Column("licence_type", String(16)),
    Column("pledgee_consent", Boolean, nullable=False),
    Column("pledge_registration_number", String(20)),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

register_entries = Table(
    "register_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entry_type", String(16), nullable=False),
    Column("registration_number", String(20), nullable=False, index=True),
    Column("filing_id", String(36), nullable=False),
    Column("right_number", String(20), nullable=False, index=True),
    Column("right_kind", String(16), nullable=False),
    Column("main_ipc", String(32)),
    Column("grant_date", Date),
    Column("pledgor_name", String(200), nullable=False),
    Column("pledgor_uscc", String(18), nullable=False, index=True),
    Column("pledgee_name", String(200), nullable=False),
    Column("pledgee_uscc", String(18), nullable=False, index=True),
    Column("registration_date", Date, nullable=False),
    Column("entered_at", UtcDateTime(), nullable=False, index=True),
    Column("reason", String(20)),
    Column("changed", JSON, nullable=False),
)
