"""processed messages: one deduplication record for consumed events and idempotency keys

Revision ID: b2d4f6a8e012
Revises: 3e1f0a9c7b21
Create Date: 2026-11-30 09:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import merge_inbox_and_idempotency_keys

# revision identifiers, used by Alembic.
revision: str = "b2d4f6a8e012"
down_revision: str | Sequence[str] | None = "3e1f0a9c7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    merge_inbox_and_idempotency_keys(op)


def downgrade() -> None:
    """Downgrade schema."""
    raise NotImplementedError("processed messages cannot be split back into inbox and keys")
