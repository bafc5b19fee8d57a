"""processed messages: one deduplication record for consumed events and idempotency keys

Revision ID: a1c3e5f7d901
Revises: 7c4d2e8f1a90
Create Date: 2026-11-30 09:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.tables import merge_inbox_and_idempotency_keys

# revision identifiers, used by Alembic.
revision: str = "a1c3e5f7d901"
down_revision: str | Sequence[str] | None = "7c4d2e8f1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    merge_inbox_and_idempotency_keys(op)


def downgrade() -> None:
    """Downgrade schema."""
    raise NotImplementedError("processed messages cannot be split back into inbox and keys")
