"""calendar schedules and provisional deadlines

Revision ID: 7c4d2e8f1a90
Revises: b8d4f2a61c93
Create Date: 2026-11-30 04:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7c4d2e8f1a90"
down_revision: str | Sequence[str] | None = "b8d4f2a61c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep the official schedules received from the registry; mark provisional deadlines."""
    op.create_table(
        "calendar_schedules",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("makeup_workdays", sa.JSON(), nullable=False),
        sa.Column("notice_reference", sa.String(length=100), nullable=False),
        sa.Column("notice_published_on", sa.Date(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", "version", name=op.f("pk_calendar_schedules")),
    )
    with op.batch_alter_table("timeouts") as batch:
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("calendar_basis", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Forget the received schedules and the provisional marks."""
    with op.batch_alter_table("timeouts") as batch:
        batch.drop_column("calendar_basis")
        batch.drop_column("provisional")
    op.drop_table("calendar_schedules")
