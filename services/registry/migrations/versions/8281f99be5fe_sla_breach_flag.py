"""sla breach flag

Revision ID: 8281f99be5fe
Revises: cf8b1d149136
Create Date: 2026-11-21 06:13:54.011257

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8281f99be5fe"
down_revision: str | Sequence[str] | None = "cf8b1d149136"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("sla_breached_at")
