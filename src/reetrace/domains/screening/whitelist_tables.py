"""The screening whitelist: a projection of ``screening.whitelist.added`` and ``screening.whitelist.removed``."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, String, Table, Text

from reetrace.storage.tables import Index64, metadata

whitelist = Table(
    "screening_whitelist",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("party_key", String(300), primary_key=True),  # the party's name, folded (normalise.fold)
    Column("list_id", String(64), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("party_name", Text, nullable=False),  # as given
    Column("reason", Text, nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("removed_by", String(64), nullable=True),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    Column("removal_reason", Text, nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)
