"""party screening: loaded list versions (projection of screening.list_loaded) and their parsed parties

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_list_versions",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("parties", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.Integer(), nullable=False),
        sa.Column("parties_digest", sa.String(length=80), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_idx", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "version", name=op.f("pk_screening_list_versions")),
        info={"projection": True},
    )
    op.create_table(
        "screening_parties",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False),
        sa.Column("programmes", sa.Text(), nullable=False),
        sa.Column("identifiers", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "version", "record_id", name=op.f("pk_screening_parties")),
    )


def downgrade() -> None:
    op.drop_table("screening_parties")
    op.drop_table("screening_list_versions")
