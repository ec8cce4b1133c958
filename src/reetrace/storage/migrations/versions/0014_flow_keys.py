"""flow keys: flow_balances and flow_shipments keyed by the log index of their event (entry_idx), not by the event
hash they led with; the hash is random, so at scale every document's commit wrote one more page per event for each
of them (nothing looks these rows up by hash). Rows are carried over with their event's entry_idx.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 20:30:00.000000
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

BALANCE = ("event_hash", "element", "tenant", "enterprise_id", "month", "process_step", "in_kg", "out_kg",
           "min_yield", "max_yield", "within")
SHIPMENT = ("event_hash", "lot_id", "party", "tenant", "enterprise_id", "quantity_kg", "end_user", "event_time")


def _balances(keyed_by_entry: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
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
    ]
    if keyed_by_entry:
        columns.append(sa.Column("entry_idx", INDEX64, nullable=False))
    key = ("entry_idx", "element") if keyed_by_entry else ("event_hash", "element")
    op.create_table("flow_balances", *columns, sa.PrimaryKeyConstraint(*key, name=op.f("pk_flow_balances")),
                    info={"projection": True})
    op.create_index("ix_flow_balances_enterprise_month", "flow_balances", ["enterprise_id", "month"], unique=False)


def _shipments(keyed_by_entry: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("lot_id", sa.String(length=500), nullable=False),
        sa.Column("party", sa.String(length=500), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("quantity_kg", sa.Float(), nullable=False),
        sa.Column("end_user", sa.String(length=500), nullable=True),
        sa.Column("event_time", sa.String(length=40), nullable=False),
    ]
    if keyed_by_entry:
        columns.append(sa.Column("entry_idx", INDEX64, nullable=False))
    key = ("entry_idx", "lot_id", "party") if keyed_by_entry else ("event_hash", "lot_id", "party")
    op.create_table("flow_shipments", *columns, sa.PrimaryKeyConstraint(*key, name=op.f("pk_flow_shipments")),
                    info={"projection": True})
    op.create_index("ix_flow_shipments_lot", "flow_shipments", ["lot_id"], unique=False)


def _rebuild(table: str, columns: tuple[str, ...], index: str, create: Callable[[bool], None],
             keyed_by_entry: bool) -> None:
    """Copy the rows aside (with their event's entry_idx when going up), make the table anew, copy them back."""
    listed = ", ".join(f"t.{c}" for c in columns)
    if keyed_by_entry:
        op.execute(f"CREATE TABLE {table}_carry AS SELECT {listed}, e.entry_idx AS entry_idx FROM {table} t "
                   "JOIN flow_events e ON e.event_hash = t.event_hash")
    else:
        op.execute(f"CREATE TABLE {table}_carry AS SELECT {listed} FROM {table} t")
    op.drop_index(index, table_name=table)
    op.drop_table(table)
    create(keyed_by_entry)
    names = ", ".join(columns) + (", entry_idx" if keyed_by_entry else "")
    op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_carry")
    op.drop_table(f"{table}_carry")


def upgrade() -> None:
    _rebuild("flow_balances", BALANCE, "ix_flow_balances_enterprise_month", _balances, True)
    _rebuild("flow_shipments", SHIPMENT, "ix_flow_shipments_lot", _shipments, True)


def downgrade() -> None:
    _rebuild("flow_shipments", SHIPMENT, "ix_flow_shipments_lot", _shipments, False)
    _rebuild("flow_balances", BALANCE, "ix_flow_balances_enterprise_month", _balances, False)
