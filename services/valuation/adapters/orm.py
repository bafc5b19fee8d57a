"""Valuation's own tables: the register read model, valuations, sign-offs, followed collateral."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from services.valuation.domain.valuation import CREDIT
from shared.db import ExactNumeric, UtcDateTime
from shared.tables import new_metadata

metadata = new_metadata()
audit_log = metadata.tables["audit_log"]

rights = Table(
    "rights",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("right_type", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("filing_date", Date),
    Column("grant_date", Date),
    Column("expiry_date", Date, nullable=False),
    Column("legal_status", String(16), nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("invalidation_pending", Boolean, nullable=False),
    Column("main_ipc", String(32)),
    Column("nice_class", Integer),
    Column("holder_usccs", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("source_event_version", Integer, nullable=False),
)

valuations = Table(
    "valuations",
    metadata,
    Column("valuation_id", String(36), primary_key=True),
    Column("reference", String(64), index=True),
    Column("requested_by", String(64), nullable=False, index=True),
    Column("parameter_version", String(32), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("total_low", ExactNumeric(18, 2), nullable=False),
    Column("total_central", ExactNumeric(18, 2), nullable=False),
    Column("total_high", ExactNumeric(18, 2), nullable=False),
    Column("recommended_max_loan", ExactNumeric(18, 2), nullable=False),
    Column("result", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False, server_default="final"),
)
Index("ix_valuations_status_created_at", valuations.c.status, valuations.c.created_at)
# A loan application is valued for credit once.
Index(
    "uq_valuations_credit_reference",
    valuations.c.reference,
    unique=True,
    postgresql_where=valuations.c.requested_by == CREDIT,
    sqlite_where=valuations.c.requested_by == CREDIT,
)

signoffs = Table(
    "signoffs",
    metadata,
    Column(
        "valuation_id",
        String(36),
        ForeignKey("valuations.valuation_id"),
        primary_key=True,
    ),
    Column("outcome", String(16), nullable=False),
    Column("appraiser_id", String(64), nullable=False),
    Column("reason", Text),
    Column("before_low", ExactNumeric(18, 2), nullable=False),
    Column("before_central", ExactNumeric(18, 2), nullable=False),
    Column("before_high", ExactNumeric(18, 2), nullable=False),
    Column("after_low", ExactNumeric(18, 2), nullable=False),
    Column("after_central", ExactNumeric(18, 2), nullable=False),
    Column("after_high", ExactNumeric(18, 2), nullable=False),
    Column("recommended_max_loan", ExactNumeric(18, 2), nullable=False),
    Column("rights", JSON, nullable=False),
    Column("signed_off_at", UtcDateTime(), nullable=False),
)

loan_collateral = Table(
    "loan_collateral",
    metadata,
    Column("loan_reference", String(64), primary_key=True),
    Column("valuation_id", String(36), ForeignKey("valuations.valuation_id"), nullable=False),
    Column("pledged_at", UtcDateTime(), nullable=False),
    Column("released", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

pledged_collateral = Table(
    "pledged_collateral",
    metadata,
    Column("right_number", String(20), primary_key=True),
    Column(
        "loan_reference",
        String(64),
        ForeignKey("loan_collateral.loan_reference"),
        primary_key=True,
        index=True,
    ),
)

impairments = Table(
    "impairments",
    metadata,
    Column("loan_reference", String(64), primary_key=True),
    Column("right_number", String(20), primary_key=True),
    Column("reason", String(32), primary_key=True),
    Column("valuation_id", String(36), ForeignKey("valuations.valuation_id"), nullable=False),
    Column("previous_central", ExactNumeric(18, 2), nullable=False),
    Column("new_central", ExactNumeric(18, 2), nullable=False),
    Column("detected_at", UtcDateTime(), nullable=False),
)
