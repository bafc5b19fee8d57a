"""pledge changes, cancellations and recordals

Revision ID: c75c6e2bcb11
Revises: 8281f99be5fe
Create Date: 2026-11-21 06:18:04.021549

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c75c6e2bcb11"
down_revision: str | Sequence[str] | None = "8281f99be5fe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "recordals",
        sa.Column("recordal_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("right_number", sa.String(length=20), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("licence_type", sa.String(length=16), nullable=True),
        sa.Column("pledgee_consent", sa.Boolean(), nullable=False),
        sa.Column("pledge_registration_number", sa.String(length=20), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recordal_id", name=op.f("pk_recordals")),
    )
    with op.batch_alter_table("recordals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recordals_right_number"), ["right_number"], unique=False
        )

    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancellation_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("amendments", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("amendments")
        batch_op.drop_column("cancellation_reason")
        batch_op.drop_column("cancelled_at")

    with op.batch_alter_table("recordals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordals_right_number"))

    op.drop_table("recordals")
