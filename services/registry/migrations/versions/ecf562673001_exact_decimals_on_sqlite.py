"""exact decimals on SQLite

Revision ID: ecf562673001
Revises: d4f6b8a0c234
Create Date: 2026-11-22 09:00:00.000000

"""

from collections.abc import Sequence

from shared.migrations import sqlite_decimals_as_units

# revision identifiers, used by Alembic.
revision: str = "ecf562673001"
down_revision: str | Sequence[str] | None = "d4f6b8a0c234"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNTS = {"filings": ["secured_amount"]}


def upgrade() -> None:
    """Store decimals as whole fen on SQLite; PostgreSQL keeps NUMERIC."""
    sqlite_decimals_as_units(AMOUNTS)


def downgrade() -> None:
    """Store decimals as SQLite numbers again."""
    sqlite_decimals_as_units(AMOUNTS, back=True)
