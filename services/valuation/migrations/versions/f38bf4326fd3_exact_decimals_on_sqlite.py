"""exact decimals on SQLite

Revision ID: f38bf4326fd3
Revises: e5a7c9b1d345
Create Date: 2026-11-22 09:00:00.000000

"""

from collections.abc import Sequence

from shared.migrations import sqlite_decimals_as_units

# revision identifiers, used by Alembic.
revision: str = "f38bf4326fd3"
down_revision: str | Sequence[str] | None = "e5a7c9b1d345"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNTS = {
    "valuations": ["total_low", "total_central", "total_high", "recommended_max_loan"],
    "signoffs": [
        "before_low",
        "before_central",
        "before_high",
        "after_low",
        "after_central",
        "after_high",
        "recommended_max_loan",
    ],
    "impairments": ["previous_central", "new_central"],
}


def upgrade() -> None:
    """Store decimals as whole fen on SQLite; PostgreSQL keeps NUMERIC."""
    sqlite_decimals_as_units(AMOUNTS)


def downgrade() -> None:
    """Store decimals as SQLite numbers again."""
    sqlite_decimals_as_units(AMOUNTS, back=True)
