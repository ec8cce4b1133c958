"""flow events without their document: the event as captured is the ``body.event`` of its log entry (the same
canonical JSON, written once); flow_events keeps the columns that find and order events.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:00:00.000000
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_events") as batch:
        batch.drop_column("document")


def downgrade() -> None:
    from reetrace.events import canonical_json

    with op.batch_alter_table("flow_events") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT e.event_hash, l.entry FROM flow_events e JOIN log_entries l "
                                "ON l.idx = e.entry_idx")).all()
    for event_hash, entry in rows:
        document = canonical_json(json.loads(bytes(entry))["body"]["event"]).decode("utf-8")
        conn.execute(sa.text("UPDATE flow_events SET document = :d WHERE event_hash = :h"),
                     {"d": document, "h": event_hash})
    # A row whose log entry is missing cannot come from a capture (rows are projections of entries); it gets an
    # empty object rather than stopping the downgrade.
    conn.execute(sa.text("UPDATE flow_events SET document = '{}' WHERE document IS NULL"))
    with op.batch_alter_table("flow_events") as batch:
        batch.alter_column("document", existing_type=sa.Text(), nullable=False)
