"""loan collateral with its own version; one credit valuation per loan application

Each followed loan gets a `loan_collateral` row: the valuation its value rests on, when it was
pledged, whether it is released, and the version of its `valuation.impaired` events (the
impairments it already had). `pledged_collateral` keeps only which rights each loan follows.

A loan application is valued for credit once (a unique index). Should a database hold several
credit valuations for one loan, the earliest (the one credit decided on) keeps
`requested_by = 'credit'`; the later ones are relabelled `credit.superseded`.

Revision ID: f2b4d6e8a013
Revises: c3e5a7b9f123
Create Date: 2026-11-30 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f2b4d6e8a013"
down_revision: str | Sequence[str] | None = "c3e5a7b9f123"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREDIT_ONLY = sa.text("requested_by = 'credit'")


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        "UPDATE valuations SET requested_by = 'credit.superseded' "
        "WHERE requested_by = 'credit' AND EXISTS ("
        " SELECT 1 FROM valuations AS earlier"
        " WHERE earlier.requested_by = 'credit' AND earlier.reference = valuations.reference"
        " AND (earlier.created_at < valuations.created_at"
        "  OR (earlier.created_at = valuations.created_at"
        "      AND earlier.valuation_id < valuations.valuation_id)))"
    )
    with op.batch_alter_table("valuations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_valuations_credit_reference",
            ["reference"],
            unique=True,
            postgresql_where=CREDIT_ONLY,
            sqlite_where=CREDIT_ONLY,
        )

    op.create_table(
        "loan_collateral",
        sa.Column("loan_reference", sa.String(length=64), nullable=False),
        sa.Column("valuation_id", sa.String(length=36), nullable=False),
        sa.Column("pledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["valuation_id"],
            ["valuations.valuation_id"],
            name=op.f("fk_loan_collateral_valuation_id_valuations"),
        ),
        sa.PrimaryKeyConstraint("loan_reference", name=op.f("pk_loan_collateral")),
    )
    _followed_loans_from_their_rights()

    with op.batch_alter_table("pledged_collateral", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_pledged_collateral_valuation_id_valuations", type_="foreignkey"
        )
        batch_op.drop_column("valuation_id")
        batch_op.drop_column("pledged_at")
        batch_op.create_foreign_key(
            batch_op.f("fk_pledged_collateral_loan_reference_loan_collateral"),
            "loan_collateral",
            ["loan_reference"],
            ["loan_reference"],
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("pledged_collateral", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_pledged_collateral_loan_reference_loan_collateral", type_="foreignkey"
        )
        batch_op.add_column(sa.Column("valuation_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("pledged_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE pledged_collateral SET"
        " valuation_id = (SELECT c.valuation_id FROM loan_collateral c"
        "  WHERE c.loan_reference = pledged_collateral.loan_reference),"
        " pledged_at = (SELECT c.pledged_at FROM loan_collateral c"
        "  WHERE c.loan_reference = pledged_collateral.loan_reference)"
    )
    with op.batch_alter_table("pledged_collateral", schema=None) as batch_op:
        batch_op.alter_column("valuation_id", nullable=False)
        batch_op.alter_column("pledged_at", nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_pledged_collateral_valuation_id_valuations"),
            "valuations",
            ["valuation_id"],
            ["valuation_id"],
        )
    op.drop_table("loan_collateral")
    with op.batch_alter_table("valuations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_valuations_credit_reference",
            postgresql_where=CREDIT_ONLY,
            sqlite_where=CREDIT_ONLY,
        )


def _followed_loans_from_their_rights() -> None:
    """One row per loan that has followed rights; its version counts its impairments."""
    pledged = sa.table(
        "pledged_collateral",
        sa.column("loan_reference", sa.String),
        sa.column("valuation_id", sa.String),
        sa.column("pledged_at", sa.DateTime(timezone=True)),
    )
    impairments = sa.table("impairments", sa.column("loan_reference", sa.String))
    collateral = sa.table(
        "loan_collateral",
        sa.column("loan_reference", sa.String),
        sa.column("valuation_id", sa.String),
        sa.column("pledged_at", sa.DateTime(timezone=True)),
        sa.column("released", sa.Boolean),
        sa.column("version", sa.Integer),
    )
    impaired = (
        sa.select(sa.func.count())
        .select_from(impairments)
        .where(impairments.c.loan_reference == pledged.c.loan_reference)
        .scalar_subquery()
    )
    followed = sa.select(
        pledged.c.loan_reference,
        sa.func.min(pledged.c.valuation_id),
        sa.func.min(pledged.c.pledged_at),
        sa.false(),
        impaired,
    ).group_by(pledged.c.loan_reference)
    op.execute(
        collateral.insert().from_select(
            ["loan_reference", "valuation_id", "pledged_at", "released", "version"], followed
        )
    )
