"""decision ledger: hash-chained entries, the chain head and the heads other services publish

Revision ID: e7a1c3b5d901
Revises: 5b7d9f1a3c20
Create Date: 2026-11-30 07:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import create_ledger, drop_ledger

# revision identifiers, used by Alembic.
revision: str = "e7a1c3b5d901"
down_revision: str | Sequence[str] | None = "5b7d9f1a3c20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_ledger(op)


def downgrade() -> None:
    """Downgrade schema."""
    drop_ledger(op)
