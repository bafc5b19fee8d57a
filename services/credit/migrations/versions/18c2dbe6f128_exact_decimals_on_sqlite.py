"""exact decimals on SQLite

Revision ID: 18c2dbe6f128
Revises: f6b8d0c2e456
Create Date: 2026-11-22 09:00:00.000000

"""

from collections.abc import Sequence

from shared.migrations import sqlite_decimals_as_units

# revision identifiers, used by Alembic.
revision: str = "18c2dbe6f128"
down_revision: str | Sequence[str] | None = "f6b8d0c2e456"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNTS = {
    "loans": [
        "requested_amount",
        "approved_amount",
        "appraised_value",
        "policy_ceiling",
        "collateral_value",
        "quota_reserved",
        "insurance_premium",
        "outstanding_principal",
        "recovered_amount",
        "loss",
    ],
    "repayments": ["amount", "outstanding_after"],
    "bank_quotas": ["total", "reserved", "consumed"],
}
RATES = {"loans": ["annual_rate"]}


def upgrade() -> None:
    """Store decimals as whole fen on SQLite; PostgreSQL keeps NUMERIC."""
    sqlite_decimals_as_units(AMOUNTS)
    sqlite_decimals_as_units(RATES, scale=6)


def downgrade() -> None:
    """Store decimals as SQLite numbers again."""
    sqlite_decimals_as_units(AMOUNTS, back=True)
    sqlite_decimals_as_units(RATES, scale=6, back=True)
