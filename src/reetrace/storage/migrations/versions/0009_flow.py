"""flow: EPCIS events keyed by their event hash, lots, lot links (genealogy), shipments and mass balances
(projections of flow.event.captured)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_events",
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("process_step", sa.String(length=40), nullable=True),
        sa.Column("biz_step", sa.String(length=200), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("namespaces", sa.Text(), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("event_hash", name=op.f("pk_flow_events")),
        info={"projection": True},
    )
    op.create_index("ix_flow_events_enterprise_month", "flow_events", ["enterprise_id", "month"], unique=False)
    op.create_index("ix_flow_events_entry", "flow_events", ["entry_idx"], unique=False)
    op.create_table(
        "flow_lots",
        sa.Column("lot_id", sa.String(length=500), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("product_class", sa.String(length=32), nullable=False),
        sa.Column("element", sa.String(length=3), nullable=True),
        sa.Column("reo_content", sa.Float(), nullable=False),
        sa.Column("distribution", sa.Text(), nullable=False),
        sa.Column("quantity_kg", sa.Float(), nullable=False),
        sa.Column("process_step", sa.String(length=40), nullable=True),
        sa.Column("biz_location", sa.String(length=500), nullable=True),
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_flow_lots")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_flow_lots_tenant"), "flow_lots", ["tenant"], unique=False)
    op.create_table(
        "flow_lot_links",
        sa.Column("child_lot", sa.String(length=500), nullable=False),
        sa.Column("parent_lot", sa.String(length=500), nullable=False),
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("input_kg", sa.Float(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("child_lot", "parent_lot", "event_hash", name=op.f("pk_flow_lot_links")),
        info={"projection": True},
    )
    op.create_index("ix_flow_lot_links_parent", "flow_lot_links", ["parent_lot", "child_lot"], unique=False)
    op.create_table(
        "flow_shipments",
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("lot_id", sa.String(length=500), nullable=False),
        sa.Column("party", sa.String(length=500), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("quantity_kg", sa.Float(), nullable=False),
        sa.Column("end_user", sa.String(length=500), nullable=True),
        sa.Column("event_time", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("event_hash", "lot_id", "party", name=op.f("pk_flow_shipments")),
        info={"projection": True},
    )
    op.create_index("ix_flow_shipments_lot", "flow_shipments", ["lot_id"], unique=False)
    op.create_table(
        "flow_balances",
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("element", sa.String(length=3), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("process_step", sa.String(length=40), nullable=False),
        sa.Column("in_kg", sa.Float(), nullable=False),
        sa.Column("out_kg", sa.Float(), nullable=False),
        sa.Column("min_yield", sa.Float(), nullable=False),
        sa.Column("max_yield", sa.Float(), nullable=False),
        sa.Column("within", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_hash", "element", name=op.f("pk_flow_balances")),
        info={"projection": True},
    )
    op.create_index("ix_flow_balances_enterprise_month", "flow_balances", ["enterprise_id", "month"], unique=False)


def downgrade() -> None:
    for table in ("flow_balances", "flow_shipments", "flow_lot_links", "flow_lots", "flow_events"):
        op.drop_table(table)
