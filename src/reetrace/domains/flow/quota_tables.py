"""Read tables of quotas and monthly reports (projections of ``flow.quota.set`` and ``flow.report.submitted``).

``flow_quotas`` holds each quota batch allocated to an enterprise for a year (mining or separation, REO tonnes);
the annual quota is the sum of its batches. ``flow_report_submissions`` records each monthly flow report handed
in: when, its due date, whether it was late, its row count and the SHA-256 of the file submitted.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, Integer, String, Table

from reetrace.storage.tables import Index64, metadata

quotas = Table(
    "flow_quotas",
    metadata,
    Column("enterprise_id", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("kind", String(16), primary_key=True),  # mining | separation
    Column("batch", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("reo_tonnes", Float, nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

report_submissions = Table(
    "flow_report_submissions",
    metadata,
    Column("enterprise_id", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("submitted_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)
