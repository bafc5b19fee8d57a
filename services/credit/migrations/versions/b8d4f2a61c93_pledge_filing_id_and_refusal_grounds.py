"""pledge filing id and refusal grounds on loans

Revision ID: b8d4f2a61c93
Revises: 0d57626c8632
Create Date: 2026-11-24 09:14:02.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b8d4f2a61c93"
down_revision: str | Sequence[str] | None = "0d57626c8632"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pledge_filing_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("pledge_refusal_grounds", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_column("pledge_refusal_grounds")
        batch_op.drop_column("pledge_filing_id")
