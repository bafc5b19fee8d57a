"""calendar schedule versions and deadline basis

Revision ID: 3e1f0a9c7b21
Revises: a3e1c9b25d47
Create Date: 2026-11-30 04:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3e1f0a9c7b21"
down_revision: str | Sequence[str] | None = "a3e1c9b25d47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_NOTICE = "unrecorded"


def upgrade() -> None:
    """Keep every version of a year's schedule with its notice and who entered it."""
    schedules = op.create_table(
        "calendar_schedules",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("makeup_workdays", sa.JSON(), nullable=False),
        sa.Column("notice_reference", sa.String(length=100), nullable=False),
        sa.Column("notice_published_on", sa.Date(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", "version", name=op.f("pk_calendar_schedules")),
    )
    years = sa.table(
        "calendar_years",
        sa.column("year", sa.Integer()),
        sa.column("holidays", sa.JSON()),
        sa.column("makeup_workdays", sa.JSON()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(years)).mappings().all()
    if rows:
        op.bulk_insert(
            schedules,
            [
                {
                    "year": row["year"],
                    "version": row["version"],
                    "holidays": row["holidays"],
                    "makeup_workdays": row["makeup_workdays"],
                    "notice_reference": UNKNOWN_NOTICE,
                    "notice_published_on": row["updated_at"].date(),
                    "entered_by": UNKNOWN_NOTICE,
                    "entered_at": row["updated_at"],
                    "stored_at": row["updated_at"],
                }
                for row in rows
            ],
        )
    op.drop_table("calendar_years")
    with op.batch_alter_table("filings") as batch:
        batch.add_column(sa.Column("deadline_basis", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Back to one row per year, the newest version."""
    with op.batch_alter_table("filings") as batch:
        batch.drop_column("deadline_basis")
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("makeup_workdays", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.execute(
        "INSERT INTO calendar_years (year, holidays, makeup_workdays, updated_at, version) "
        "SELECT s.year, s.holidays, s.makeup_workdays, s.entered_at, s.version "
        "FROM calendar_schedules s WHERE s.version = "
        "(SELECT MAX(v.version) FROM calendar_schedules v WHERE v.year = s.year)"
    )
    op.drop_table("calendar_schedules")
