"""decision ledger: hash-chained entries, the chain head and the heads other services publish

Revision ID: b6d8f0a2c834
Revises: 8e0a2c4d6f53
Create Date: 2026-11-30 07:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import create_ledger, drop_ledger

# revision identifiers, used by Alembic.
revision: str = "b6d8f0a2c834"
down_revision: str | Sequence[str] | None = "8e0a2c4d6f53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_ledger(op)


def downgrade() -> None:
    """Downgrade schema."""
    drop_ledger(op)
