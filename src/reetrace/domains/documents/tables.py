"""Tables of the technical-document registry.

``documents_files`` is the content store (file bytes and extracted text by SHA-256): not a projection, like the
vault; the log holds the hashes. Every other table is a projection of ``documents.*`` events, and
``documents_fingerprints`` (the content index: one row per winnowing fingerprint of a version) is rebuilt by replay
from the content store.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Integer, LargeBinary, String, Table, Text

from reetrace.storage.tables import Index64, metadata

files = Table(
    "documents_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("text", Text, nullable=True),
)

documents = Table(
    "documents_documents",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("level", String(16), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list of person ids and user names
    Column("latest_version", Integer, nullable=False),
    Column("entry_idx", Index64, nullable=False),
    Index("ix_documents_documents_tenant", "tenant", "document_id"),
    info={"projection": True},
)

versions = Table(
    "documents_versions",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("filename", String(300), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text_sha256", String(64), nullable=True),
    Column("sites", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

copies = Table(
    "documents_copies",
    metadata,
    Column("copy_id", String(32), primary_key=True),
    Column("document_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("recipient_kind", String(8), nullable=False),
    Column("recipient", String(200), nullable=False),  # person id or user name
    Column("device", String(200), nullable=False),
    Column("ip", String(45), nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    Index("ix_documents_copies_document", "document_id", "copy_id"),
    Index("ix_documents_copies_recipient", "recipient", "issued_at"),
    info={"projection": True},
)

fingerprints = Table(
    "documents_fingerprints",
    metadata,
    Column("hash", BigInteger, primary_key=True),  # the 64-bit winnowing hash as a signed integer
    Column("document_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("span_start", Integer, primary_key=True),
    Column("span_end", Integer, nullable=False),
    Index("ix_documents_fingerprints_version", "document_id", "version"),  # a candidate's prints, at trace time
    info={"projection": True},
)

traces = Table(
    "documents_traces",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("tenant", String(64), nullable=True),
    Column("document_id", String(32), nullable=True),
    Column("version", Integer, nullable=True),
    Column("verdict", String(16), nullable=False),
    Column("containment", Float, nullable=False),
    Column("sites_read", Integer, nullable=False),
    Column("accused", Text, nullable=False),  # space-separated copy ids
    Column("traced_by", String(200), nullable=False),
    Column("traced_at", DateTime(timezone=True), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

pictures = Table(
    "documents_pictures",  # the picture index: not a projection (derived from the content store, like files)
    metadata,
    Column("sha256", String(64), primary_key=True),  # of the version's file
    Column("page", Integer, primary_key=True),  # 1-based page; 1 for a diagram
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("descriptors", LargeBinary, nullable=False),  # imageindex.to_bytes
)

codewords = Table(
    "documents_codewords",  # sealed cache of issued copies' codewords (codewords.py): derived, not a projection
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("chunk", Integer, primary_key=True),
    Column("size", Integer, nullable=False),  # copies in the chunk
    Column("copy_ids", Text, nullable=False),  # space-separated, in issue order
    Column("sealed", LargeBinary, nullable=False),  # nonce ‖ AES-256-GCM(bit-packed codeword rows)
)
