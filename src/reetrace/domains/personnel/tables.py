"""Read tables of the personnel registry (projections of ``personnel.*`` events other than travel and passports).

Personal values appear only as vault commitments (``*_commitment``) and blind indexes (``resident_id_index``,
``key_index``); a person's tenant is the tenant of their employer enterprise.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from reetrace.storage.tables import Index64, metadata

persons = Table(
    "personnel_persons",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("enterprise_id", String(64), ForeignKey("registry_enterprises.enterprise_id"), nullable=False),
    Column("subject_id", String(100), nullable=False, unique=True),
    Column("secrecy_level", String(16), nullable=False),
    Column("nationality", String(2), nullable=False),
    Column("province", String(64), nullable=True),
    Column("post", String(200), nullable=False),
    Column("post_key", String(200), nullable=False),  # the post title case-folded, spaces collapsed
    Column("hired_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # employed | departed
    Column("departed_on", Date, nullable=True),
    Column("departure_reason", String(16), nullable=True),
    Column("cooling_off_until", Date, nullable=True),
    Column("resident_id_index", String(32), nullable=False, unique=True),
    Column("name_zh_commitment", String(80), nullable=True),
    Column("name_latin_commitment", String(80), nullable=True),
    Column("resident_id_commitment", String(80), nullable=False),
    Column("education_commitment", String(80), nullable=True),
    Column("research_commitment", String(80), nullable=True),
    Column("publications_commitment", String(80), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    Column("updated_idx", Index64, nullable=False),
    Index("ix_personnel_persons_tenant_person", "tenant", "person_id"),  # a tenant's staff list, page by page
    Index("ix_personnel_persons_tenant_enterprise", "tenant", "enterprise_id"),
    Index("ix_personnel_persons_tenant_secrecy", "tenant", "secrecy_level"),
    Index("ix_personnel_persons_tenant_province", "tenant", "province"),
    Index("ix_personnel_persons_tenant_status", "tenant", "status"),
    Index("ix_personnel_persons_post", "enterprise_id", "post_key"),
    info={"projection": True},
)

person_expertise = Table(
    "personnel_expertise",
    metadata,
    Column("person_id", String(100), ForeignKey("personnel_persons.person_id"), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False),
    # field first: the aggregation scans it covered, and a lookup by person id is not lured onto a tenant index
    Index("ix_personnel_expertise_field_tenant", "field", "tenant"),
    info={"projection": True},
)

person_access = Table(
    "personnel_access",
    metadata,
    Column("person_id", String(100), ForeignKey("personnel_persons.person_id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # technology | document
    Column("ref", String(100), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Index("ix_personnel_access_kind_ref", "kind", "ref"),
    info={"projection": True},
)

# Keyed by the blind index first, and on SQLite without a rowid: one B-tree, which a bulk import fills in key order
# (the keys are HMACs, so any other order would scatter the writes over the whole index).
name_keys = Table(
    "personnel_name_keys",
    metadata,
    Column("key_index", String(32), primary_key=True),  # blind index of one match key of the person's name
    Column("person_id", String(100), ForeignKey("personnel_persons.person_id"), primary_key=True),
    Column("kinds", String(3), nullable=False),  # where the key came from: h (Han), p (pinyin), l (Latin name)
    Column("tenant", String(64), nullable=False),
    info={"projection": True},
    sqlite_with_rowid=False,
)

watchlist = Table(
    "personnel_watchlist",
    metadata,
    Column("entry_id", String(20), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("person_id", String(100), ForeignKey("personnel_persons.person_id"), nullable=True, index=True),
    Column("enterprise_id", String(64), nullable=True),
    Column("post", String(200), nullable=True),
    Column("post_key", String(200), nullable=True),
    Column("reason", Text, nullable=False),
    Column("added_on", Date, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("removed_on", Date, nullable=True),
    Column("removed_reason", Text, nullable=True),
    Column("entry_idx", Index64, nullable=False),
    Index("ix_personnel_watchlist_post", "enterprise_id", "post_key"),
    info={"projection": True},
)

employment = Table(
    "personnel_employment",
    metadata,
    Column("report_id", String(20), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("person_id", String(100), ForeignKey("personnel_persons.person_id"), nullable=False, index=True),
    Column("employer", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("start_on", Date, nullable=False),
    Column("is_foreign", Boolean, nullable=False),
    Column("in_cooling_off", Boolean, nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

staff_checks = Table(
    "personnel_staff_checks",
    metadata,
    Column("check_id", String(20), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("organisation", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("matches", Text, nullable=False),  # space-separated person ids
    Column("list_digest", String(80), nullable=False),
    Column("checked_by", String(200), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)
