"""The alerts table: a projection of ``alert.raised`` and ``alert.resolved`` events, tenant-scoped."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table, Text

from reetrace.storage.tables import Index64, metadata

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(20), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # canonical JSON
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("status", String(8), nullable=False),  # open | resolved
    Column("dedupe_key", String(300), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolution", Text, nullable=True),
    Index("ix_alerts_dedupe_key_status", "dedupe_key", "status"),
    Index("ix_alerts_tenant_status_entry_idx", "tenant", "status", "entry_idx"),
    Index("ix_alerts_subject", "subject"),
    info={"projection": True},
)
