"""screening whitelist: false positives whitelisted per tenant (projection of screening.whitelist.* events)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "screening_whitelist",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("party_key", sa.String(length=300), nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("party_name", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "party_key", "list_id", "record_id", name=op.f("pk_screening_whitelist")),
        info={"projection": True},
    )


def downgrade() -> None:
    op.drop_table("screening_whitelist")
