"""Tables of party screening.

``screening_list_versions`` is a projection of ``screening.list_loaded`` events. ``screening_parties`` holds the
parsed records of each version; it is not a projection (the log carries the files' digests and the digest of
the parsed records, not the records), and :func:`reetrace.domains.screening.lists.verify_version` checks it
against that digest.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from reetrace.storage.tables import Index64, metadata

list_versions = Table(
    "screening_list_versions",
    metadata,
    Column("list_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("title", String(200), nullable=False),
    Column("files", Text, nullable=False),  # JSON list of {path, size, sha256}
    Column("parties", Integer, nullable=False),
    Column("aliases", Integer, nullable=False),
    Column("parties_digest", String(80), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

parties = Table(
    "screening_parties",
    metadata,
    Column("list_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("record_id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("aliases", Text, nullable=False),  # JSON list of [name, script]
    Column("countries", Text, nullable=False),  # JSON list
    Column("programmes", Text, nullable=False),  # JSON list
    Column("identifiers", Text, nullable=False),  # JSON list of [scheme, value]
)
