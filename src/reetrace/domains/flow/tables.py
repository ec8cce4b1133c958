"""Read tables of product flow (projections of ``flow.event.captured``).

``flow_events`` indexes each EPCIS event captured (its event hash is the key: a re-submission is recognised; the
event as captured is its log entry's ``body.event``, read with ``queries.document_select``);
``flow_lots`` the lots with their master data; ``flow_lot_links`` the genealogy (an input lot's share of each
transformation's output lots, keyed both ways); ``flow_shipments`` who received which lot; ``flow_balances`` the
element-by-element mass balance of each transformation. The last two are keyed by their event's log index (rows are
written in that order) rather than its hash, which is random: a random key costs a page per row at scale.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, PrimaryKeyConstraint, String, Table, Text

from reetrace.storage.tables import Index64, metadata

events = Table(
    "flow_events",
    metadata,
    Column("event_hash", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("enterprise_id", String(64), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("event_time", String(40), nullable=False),  # ISO 8601 in UTC, so that text order is time order
    Column("month", String(7), nullable=False),  # YYYY-MM of the event time in UTC
    Column("process_step", String(40), nullable=True),
    Column("biz_step", String(200), nullable=True),
    Column("namespaces", Text, nullable=False),  # the extension prefixes it uses, as JSON
    Column("entry_idx", Index64, nullable=False),
    Index("ix_flow_events_enterprise_month", "enterprise_id", "month"),
    Index("ix_flow_events_entry", "entry_idx"),
    info={"projection": True},
)

lots = Table(
    "flow_lots",
    metadata,
    Column("lot_id", String(500), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("enterprise_id", String(64), nullable=False),
    Column("product_class", String(32), nullable=False),
    Column("element", String(3), nullable=True),
    Column("reo_content", Float, nullable=False),
    Column("distribution", Text, nullable=False),  # JSON {element: share of REO}
    Column("quantity_kg", Float, nullable=False),
    Column("process_step", String(40), nullable=True),
    Column("biz_location", String(500), nullable=True),
    Column("event_hash", String(100), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

lot_links = Table(
    "flow_lot_links",
    metadata,
    Column("child_lot", String(500), primary_key=True),
    Column("parent_lot", String(500), primary_key=True),
    Column("event_hash", String(100), primary_key=True),
    Column("input_kg", Float, nullable=False),
    Column("share", Float, nullable=False),  # the parent's share of the transformation's inputs (by mass)
    Index("ix_flow_lot_links_parent", "parent_lot", "child_lot"),
    info={"projection": True},
)

shipments = Table(
    "flow_shipments",
    metadata,
    Column("event_hash", String(100), nullable=False),
    Column("lot_id", String(500), nullable=False),
    Column("party", String(500), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("enterprise_id", String(64), nullable=False),
    Column("quantity_kg", Float, nullable=False),
    Column("end_user", String(500), nullable=True),
    Column("event_time", String(40), nullable=False),
    Column("entry_idx", Index64, nullable=False),  # the event's log index: keys in the order rows are written
    PrimaryKeyConstraint("entry_idx", "lot_id", "party"),
    Index("ix_flow_shipments_lot", "lot_id"),
    info={"projection": True},
)

balances = Table(
    "flow_balances",
    metadata,
    Column("event_hash", String(100), nullable=False),
    Column("element", String(3), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("enterprise_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("process_step", String(40), nullable=False),
    Column("in_kg", Float, nullable=False),  # the element as REO, in the inputs
    Column("out_kg", Float, nullable=False),
    Column("min_yield", Float, nullable=False),
    Column("max_yield", Float, nullable=False),
    Column("within", Boolean, nullable=False),
    Column("entry_idx", Index64, nullable=False),  # the event's log index: keys in the order rows are written
    PrimaryKeyConstraint("entry_idx", "element"),
    Index("ix_flow_balances_enterprise_month", "enterprise_id", "month"),
    info={"projection": True},
)
