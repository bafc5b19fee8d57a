"""Credit's own tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Integer, Numeric, String, Table

from shared.db import new_metadata

metadata = new_metadata()

loans = Table(
    "loans",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    Column("bank_id", String(64), nullable=False, index=True),
    Column("enterprise_uscc", String(18), nullable=False, index=True),
    Column("enterprise", JSON, nullable=False),
    Column("requested_amount", Numeric(18, 2), nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("collateral", JSON, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("approved_amount", Numeric(18, 2)),
    Column("annual_rate", Numeric(8, 6)),
    Column("decision_reasons", JSON, nullable=False),
    Column("policy_version", String(64)),
    Column("valuation_id", String(36)),
    Column("appraised_value", Numeric(18, 2)),
    Column("offer_expires_at", DateTime(timezone=True)),
    Column("pledge_registration_number", String(64)),
    Column("disbursed_at", DateTime(timezone=True)),
    Column("maturity_date", Date),
    Column("withdrawal_reason", String(64)),
    Column("history", JSON, nullable=False),
    Column("version", Integer, nullable=False),
)
