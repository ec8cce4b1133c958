"""Read tables of licence applications, review steps, licences and shipments, and the certificate files.

Applications, steps, licences and shipments are projections of ``licensing.*`` events (lists and nested values as
JSON text, quantities in kilograms and amounts as decimal text, as on the log). ``licensing_certificate_files``
is not a projection: it holds the bytes of uploaded certificates, keyed by tenant and SHA-256; the log holds each
file's name, size and SHA-256, so a stored file can be checked against the log (``verify_certificate``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from reetrace.storage.tables import Index64, metadata

applications = Table(
    "licensing_applications",
    metadata,
    Column("application_id", String(24), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("exporter_id", String(64), nullable=False),
    Column("contract_id", String(100), nullable=False),
    Column("item", Text, nullable=False),  # JSON, as submitted
    Column("classification", Text, nullable=False),  # JSON, as of the submission date
    Column("verdict", String(16), nullable=False),
    Column("rule_ids", String(300), nullable=False),  # space-separated
    Column("quantity_kg", String(40), nullable=False),
    Column("unit", String(4), nullable=False),
    Column("value", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("consignee", Text, nullable=False),  # JSON party
    Column("end_user", Text, nullable=False),  # JSON party
    Column("intermediaries", Text, nullable=False),  # JSON list of parties
    Column("end_use", Text, nullable=False),
    Column("military_end_use", Boolean, nullable=False),
    Column("final_destination", String(2), nullable=False),
    Column("product", String(500), nullable=False),
    Column("certificates", Text, nullable=False),  # JSON list of {kind, name, size, sha256}
    Column("screening", Text, nullable=False),  # JSON: lists, note, parties with hits, flags
    Column("flagged", Boolean, nullable=False),  # a presumption of denial is flagged
    Column("submitted_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),  # as of the last resumption; moves when an RFI is answered
    Column("due_provisional", Boolean, nullable=False),  # the calendar does not cover the due date's year
    Column("paused_workdays", Integer, nullable=False),  # working days spent waiting for RFI answers (closed pauses)
    Column("paused_since", Date, nullable=True),  # the open RFI's date
    Column("status", String(24), nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("licence_id", String(24), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    Column("updated_idx", Index64, nullable=False),
    Index("ix_licensing_applications_tenant_status", "tenant", "status"),
    Index("ix_licensing_applications_status_due", "status", "due_on"),
    info={"projection": True},
)

review_steps = Table(
    "licensing_review_steps",
    metadata,
    Column("entry_idx", Index64, primary_key=True, autoincrement=False),
    Column("application_id", String(24), ForeignKey("licensing_applications.application_id"), nullable=False,
           index=True),
    Column("tenant", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # note | rfi | approve | deny | answer
    Column("text", Text, nullable=False),  # the reason, note, question or answer
    Column("username", String(64), nullable=False),
    Column("user_tenant", String(64), nullable=False),
    Column("on_date", Date, nullable=False),
    info={"projection": True},
)

licences = Table(
    "licensing_licences",
    metadata,
    Column("licence_id", String(24), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("application_id", String(24), ForeignKey("licensing_applications.application_id"), nullable=False),
    Column("exporter_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # single | general
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("quantity_kg", String(40), nullable=False),
    Column("value", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("remaining_kg", String(40), nullable=False),
    Column("remaining_value", String(40), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    Column("updated_idx", Index64, nullable=False),
    info={"projection": True},
)

shipments = Table(
    "licensing_shipments",
    metadata,
    Column("shipment_id", String(24), primary_key=True),
    Column("licence_id", String(24), ForeignKey("licensing_licences.licence_id"), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("shipped_on", Date, nullable=False),
    Column("quantity_kg", String(40), nullable=False),
    Column("value", String(40), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("refusal", Text, nullable=False),
    Column("alert_id", String(20), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

certificate_files = Table(
    "licensing_certificate_files",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
)
