"""decision ledger: hash-chained entries, the chain head and the heads other services publish

Revision ID: a8c0e2b4d612
Revises: 6c8e0a2b4d31
Create Date: 2026-11-30 07:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import create_ledger, drop_ledger

# revision identifiers, used by Alembic.
revision: str = "a8c0e2b4d612"
down_revision: str | Sequence[str] | None = "6c8e0a2b4d31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_ledger(op)


def downgrade() -> None:
    """Downgrade schema."""
    drop_ledger(op)
