"""public register entries

Revision ID: c37bb2103f87
Revises: c75c6e2bcb11
Create Date: 2026-11-21 06:21:58.251700

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c37bb2103f87"
down_revision: str | Sequence[str] | None = "c75c6e2bcb11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "register_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entry_type", sa.String(length=16), nullable=False),
        sa.Column("registration_number", sa.String(length=20), nullable=False),
        sa.Column("filing_id", sa.String(length=36), nullable=False),
        sa.Column("right_number", sa.String(length=20), nullable=False),
        sa.Column("right_kind", sa.String(length=16), nullable=False),
        sa.Column("main_ipc", sa.String(length=32), nullable=True),
        sa.Column("grant_date", sa.Date(), nullable=True),
        sa.Column("pledgor_name", sa.String(length=200), nullable=False),
        sa.Column("pledgor_uscc", sa.String(length=18), nullable=False),
        sa.Column("pledgee_name", sa.String(length=200), nullable=False),
        sa.Column("pledgee_uscc", sa.String(length=18), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
    )
    with op.batch_alter_table("register_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_register_entries_entered_at"), ["entered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_register_entries_pledgee_uscc"), ["pledgee_uscc"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_register_entries_pledgor_uscc"), ["pledgor_uscc"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_register_entries_registration_number"),
            ["registration_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_register_entries_right_number"), ["right_number"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("register_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_entries_right_number"))
        batch_op.drop_index(batch_op.f("ix_register_entries_registration_number"))
        batch_op.drop_index(batch_op.f("ix_register_entries_pledgor_uscc"))
        batch_op.drop_index(batch_op.f("ix_register_entries_pledgee_uscc"))
        batch_op.drop_index(batch_op.f("ix_register_entries_entered_at"))

    op.drop_table("register_entries")
