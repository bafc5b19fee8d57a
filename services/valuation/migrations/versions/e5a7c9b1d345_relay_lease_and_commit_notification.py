"""relay lease and commit notification: one publishing relay at a time, woken by any commit

Revision ID: e5a7c9b1d345
Revises: f2b4d6e8a013
Create Date: 2026-11-30 12:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import add_relay_lease_and_commit_notification

# revision identifiers, used by Alembic.
revision: str = "e5a7c9b1d345"
down_revision: str | Sequence[str] | None = "f2b4d6e8a013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    add_relay_lease_and_commit_notification(op, "valuation")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.drop_table("relay_leases")
