"""case correlation id on filings, same-day twin applications on patents

Revision ID: a3e1c9b25d47
Revises: f69a16d0710e
Create Date: 2026-11-24 09:12:31.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a3e1c9b25d47"
down_revision: str | Sequence[str] | None = "f69a16d0710e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correlation_id", sa.String(length=64), nullable=True))

    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("same_day_twin", sa.String(length=20), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_patents_same_day_twin"), ["same_day_twin"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patents_same_day_twin"))
        batch_op.drop_column("same_day_twin")

    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("correlation_id")
