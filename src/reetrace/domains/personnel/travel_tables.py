"""Read tables of travel requests, approval steps, debriefs, travel policies and passport custody.

Every table is a projection of ``personnel.travel.*``, ``personnel.passport.*`` or ``personnel.policy.*`` events;
lists are stored as space-separated codes or JSON text. Personal values appear only as vault commitments.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from reetrace.storage.tables import Index64, metadata

# Published travel policies: public rules, not tenant data (no tenant column, so every scope reads them).
travel_policies = Table(
    "personnel_travel_policies",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("policy", Text, nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

travel_requests = Table(
    "personnel_travel_requests",
    metadata,
    Column("request_id", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("person_id", String(100), nullable=False),
    Column("subject_id", String(100), nullable=False),
    Column("enterprise_id", String(64), nullable=True),
    Column("destinations", String(200), nullable=False),  # space-separated ISO 3166 alpha-2 codes
    Column("depart_on", Date, nullable=False),
    Column("return_on", Date, nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("inviting_organisation", String(300), nullable=False),
    Column("contacts_commitment", String(80), nullable=False),
    Column("family_ties_commitment", String(80), nullable=False),
    Column("previous_trips", Text, nullable=False),  # JSON list of trips, as at submission
    Column("requested_on", Date, nullable=False),
    Column("policy_digest", String(80), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("policy_entry", Index64, nullable=False),
    Column("tier", String(16), nullable=False),
    Column("rule_id", String(100), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of strings
    Column("chain", String(100), nullable=False),  # space-separated levels
    Column("steps_done", Integer, nullable=False),
    Column("next_level", String(16), nullable=True),
    Column("status", String(16), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    Column("updated_idx", Index64, nullable=False),
    Index("ix_personnel_travel_requests_tenant_status", "tenant", "status"),
    Index("ix_personnel_travel_requests_person", "person_id", "depart_on"),
    info={"projection": True},
)

travel_steps = Table(
    "personnel_travel_steps",
    metadata,
    Column("request_id", String(100), ForeignKey("personnel_travel_requests.request_id"), primary_key=True),
    Column("step", Integer, primary_key=True, autoincrement=False),
    Column("tenant", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("username", String(64), nullable=False),
    Column("user_tenant", String(64), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

travel_debriefs = Table(
    "personnel_travel_debriefs",
    metadata,
    Column("request_id", String(100), ForeignKey("personnel_travel_requests.request_id"), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("actual_destinations", String(200), nullable=False),
    Column("actual_return_on", Date, nullable=False),
    Column("contacts_commitment", String(80), nullable=False),
    Column("notes", Text, nullable=False),
    Column("debriefed_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("deviations", Text, nullable=False),  # JSON list of strings
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

travel_documents = Table(
    "personnel_travel_documents",
    metadata,
    Column("document_id", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("person_id", String(100), nullable=False, index=True),
    Column("subject_id", String(100), nullable=False),
    Column("doc_type", String(32), nullable=False),
    Column("number_commitment", String(80), nullable=False),
    Column("number_index", String(32), nullable=False, index=True),
    Column("expires_on", Date, nullable=False),
    Column("deposited_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # held | out
    Column("request_id", String(100), nullable=True),  # the request it is out against
    Column("out_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

document_movements = Table(
    "personnel_document_movements",
    metadata,
    Column("entry_idx", Index64, primary_key=True, autoincrement=False),
    Column("document_id", String(100), ForeignKey("personnel_travel_documents.document_id"), nullable=False,
           index=True),
    Column("tenant", String(64), nullable=False),
    Column("action", String(8), nullable=False),  # out | in
    Column("request_id", String(100), nullable=True),
    Column("on_date", Date, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("late", Boolean, nullable=False),
    info={"projection": True},
)
