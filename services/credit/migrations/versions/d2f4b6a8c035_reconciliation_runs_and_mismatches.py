"""reconciliation runs and the mismatches each found

Revision ID: d2f4b6a8c035
Revises: c9e1a3f5b723
Create Date: 2026-11-30 07:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "d2f4b6a8c035"
down_revision: str | Sequence[str] | None = "c9e1a3f5b723"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "reconciliation_runs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("loans_checked", sa.Integer(), nullable=False),
        sa.Column("pledges_checked", sa.Integer(), nullable=False),
        sa.Column("mismatches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_reconciliation_runs")),
    )
    op.create_index(
        op.f("ix_reconciliation_runs_finished_at"), "reconciliation_runs", ["finished_at"]
    )
    op.create_table(
        "reconciliation_mismatches",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=True),
        sa.Column("registration_number", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.run_id"],
            name=op.f("fk_reconciliation_mismatches_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_reconciliation_mismatches")),
    )
    op.create_index(
        op.f("ix_reconciliation_mismatches_reason"), "reconciliation_mismatches", ["reason"]
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("reconciliation_mismatches")
    op.drop_table("reconciliation_runs")
