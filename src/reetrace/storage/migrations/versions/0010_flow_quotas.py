"""flow quotas and monthly report submissions (projections of flow.quota.set and flow.report.submitted)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_quotas",
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("reo_tonnes", sa.Float(), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "year", "kind", "batch", name=op.f("pk_flow_quotas")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_flow_quotas_tenant"), "flow_quotas", ["tenant"], unique=False)
    op.create_table(
        "flow_report_submissions",
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "month", name=op.f("pk_flow_report_submissions")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_flow_report_submissions_tenant"), "flow_report_submissions", ["tenant"], unique=False)


def downgrade() -> None:
    op.drop_table("flow_report_submissions")
    op.drop_table("flow_quotas")
