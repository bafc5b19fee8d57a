"""examination desk: claims, decisions, corrections

Revision ID: d1696ea1d2c9
Revises: 4a95a09a87e2
Create Date: 2026-11-21 06:02:16.907238

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d1696ea1d2c9"
down_revision: str | Sequence[str] | None = "4a95a09a87e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("decisions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_filings_claimed_by"), ["claimed_by"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filings_claimed_by"))
        batch_op.drop_column("decisions")
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("deadline_provisional")
