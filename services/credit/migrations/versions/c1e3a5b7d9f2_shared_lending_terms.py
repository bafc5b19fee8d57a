"""shared lending terms: each revision of the banks' terms stored, quota totals by revision

Revision ID: c1e3a5b7d9f2
Revises: b9d1f3a5c7e0
Create Date: 2026-11-30 07:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.tables import add_change_notification, drop_change_notification

# revision identifiers, used by Alembic.
revision: str = "c1e3a5b7d9f2"
down_revision: str | Sequence[str] | None = "b9d1f3a5c7e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "lending_terms",
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_lending_terms")),
    )
    with op.batch_alter_table("bank_quotas") as batch:
        batch.add_column(
            sa.Column("total_revision", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    add_change_notification(op, "lending_terms", "pledgeflow_lending_terms_credit")


def downgrade() -> None:
    """Downgrade schema."""
    drop_change_notification(op, "lending_terms")
    with op.batch_alter_table("bank_quotas") as batch:
        batch.drop_column("total_revision")
    op.drop_table("lending_terms")
