"""Read tables of the registry (projections of registry.* events)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, String, Table

from reetrace.storage.tables import Index64, metadata

enterprises = Table(
    "registry_enterprises",
    metadata,
    Column("enterprise_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("name_zh", String(300), nullable=True),
    Column("role", String(32), nullable=False),
    Column("province", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("credit_code", String(18), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

permits = Table(
    "registry_permits",
    metadata,
    Column("permit_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("enterprise_id", String(64), ForeignKey("registry_enterprises.enterprise_id"), nullable=False),
    Column("permit_type", String(32), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

contacts = Table(
    "registry_contacts",
    metadata,
    Column("subject_id", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("enterprise_id", String(64), ForeignKey("registry_enterprises.enterprise_id"), nullable=False),
    Column("role", String(64), nullable=False),
    Column("name_commitment", String(80), nullable=False),
    Column("phone_commitment", String(80), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)
