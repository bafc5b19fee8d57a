"""calendar change notification: every replica hears at once of a schedule stored by another

Revision ID: b9d1f3a5c7e0
Revises: 18c2dbe6f128
Create Date: 2026-11-30 07:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from shared.calendars import change_channel
from shared.tables import add_change_notification, drop_change_notification

# revision identifiers, used by Alembic.
revision: str = "b9d1f3a5c7e0"
down_revision: str | Sequence[str] | None = "18c2dbe6f128"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    add_change_notification(op, "calendar_schedules", change_channel("credit"))


def downgrade() -> None:
    """Downgrade schema."""
    drop_change_notification(op, "calendar_schedules")
