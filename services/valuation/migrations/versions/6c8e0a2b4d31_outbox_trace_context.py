"""outbox trace context: the W3C traceparent of the work that made each event

Revision ID: 6c8e0a2b4d31
Revises: f38bf4326fd3
Create Date: 2026-11-30 13:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import add_outbox_trace_context

# revision identifiers, used by Alembic.
revision: str = "6c8e0a2b4d31"
down_revision: str | Sequence[str] | None = "f38bf4326fd3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    add_outbox_trace_context(op)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("traceparent")
