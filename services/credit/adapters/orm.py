"""Credit's own tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    false,
    text,
)

from shared.db import ExactNumeric, UtcDateTime
from shared.tables import calendar_schedule_table, new_metadata

metadata = new_metadata()
audit_log = metadata.tables["audit_log"]
calendar_schedules = calendar_schedule_table(metadata)


def _money(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, ExactNumeric(18, 2), nullable=nullable)


loans = Table(
    "loans",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    Column("bank_id", String(64), nullable=False, index=True),
    Column("enterprise_uscc", String(18), nullable=False, index=True),
    Column("enterprise", JSON, nullable=False),
    _money("requested_amount", nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("collateral", JSON, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    _money("approved_amount"),
    Column("annual_rate", ExactNumeric(8, 6)),
    Column("decision_reasons", JSON, nullable=False),
    Column("policy_version", String(64)),
    Column("valuation_id", String(36)),
    _money("appraised_value"),
    Column("offer_expires_at", UtcDateTime()),
    Column("pledge_registration_number", String(64), index=True),
    Column("disbursed_at", UtcDateTime(), index=True),
    Column("maturity_date", Date),
    Column("withdrawal_reason", String(64)),
    Column("history", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("programme", String(64)),
    Column("inclusive", Boolean, nullable=False, server_default=false()),
    _money("policy_ceiling"),
    Column("decision_inputs", JSON),
    Column("decided_at", UtcDateTime(), index=True),
    Column("decided_by", String(64)),
    _money("collateral_value"),
    Column("collateral_expires_on", Date),
    Column("quota_reserved", ExactNumeric(18, 2), nullable=False, server_default=text("0")),
    Column("pledge_requested_at", UtcDateTime()),
    _money("insurance_premium"),
    _money("outstanding_principal"),
    Column("repaid_at", UtcDateTime()),
    Column("pledge_released_at", UtcDateTime()),
    Column("stray_pledge_registration_number", String(64)),
    Column("defaulted_at", UtcDateTime()),
    _money("recovered_amount"),
    _money("loss"),
    Column("claims", JSON),
    Column("pledge_filing_id", String(36)),
    Column("pledge_refusal_grounds", JSON),
)

timeouts = Table(
    "timeouts",
    metadata,
    Column("loan_id", String(36), ForeignKey("loans.loan_id"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("fired_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    Column("provisional", Boolean, nullable=False, server_default=false()),
    Column("calendar_basis", JSON),
)
Index(
    "ix_timeouts_pending_due_at",
    timeouts.c.due_at,
    postgresql_where=timeouts.c.fired_at.is_(None) & timeouts.c.cancelled_at.is_(None),
    sqlite_where=timeouts.c.fired_at.is_(None) & timeouts.c.cancelled_at.is_(None),
)

repayments = Table(
    "repayments",
    metadata,
    Column("repayment_id", String(36), primary_key=True),
    Column("loan_id", String(36), ForeignKey("loans.loan_id"), nullable=False, index=True),
    _money("amount", nullable=False),
    Column("paid_at", UtcDateTime(), nullable=False),
    _money("outstanding_after", nullable=False),
)

bank_quotas = Table(
    "bank_quotas",
    metadata,
    Column("bank_id", String(64), primary_key=True),
    _money("total", nullable=False),
    Column("reserved", ExactNumeric(18, 2), nullable=False, server_default=text("0")),
    Column("consumed", ExactNumeric(18, 2), nullable=False, server_default=text("0")),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The revision of the lending terms `total` comes from: an older one never overwrites it.
    Column("total_revision", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("consumed >= 0", name="consumed_not_negative"),
)

# Every revision of the lending terms a replica started with; the highest is in force.
lending_terms = Table(
    "lending_terms",
    metadata,
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("fingerprint", String(64), nullable=False),
    Column("document", JSON, nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
)


reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("trigger", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False, index=True),
    Column("loans_checked", Integer, nullable=False),
    Column("pledges_checked", Integer, nullable=False),
    Column("mismatches", Integer, nullable=False),
)

reconciliation_mismatches = Table(
    "reconciliation_mismatches",
    metadata,
    Column("run_id", String(36), ForeignKey("reconciliation_runs.run_id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("reason", String(64), nullable=False, index=True),
    Column("bank_id", String(64), nullable=False),
    Column("loan_id", String(36)),
    Column("registration_number", String(64)),
    Column("detail", String(500), nullable=False),
)
