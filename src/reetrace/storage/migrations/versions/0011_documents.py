"""documents: the content store, documents, versions, issued copies, the content index (fingerprints) and leak traces
(projections of documents.* events; documents_files is the content store, not a projection)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "documents_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_documents_files")),
    )
    op.create_table(
        "documents_documents",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_documents_documents")),
        info={"projection": True},
    )
    op.create_index("ix_documents_documents_tenant", "documents_documents", ["tenant", "document_id"], unique=False)
    op.create_table(
        "documents_versions",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version", name=op.f("pk_documents_versions")),
        info={"projection": True},
    )
    op.create_table(
        "documents_copies",
        sa.Column("copy_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("recipient_kind", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("copy_id", name=op.f("pk_documents_copies")),
        info={"projection": True},
    )
    op.create_index("ix_documents_copies_document", "documents_copies", ["document_id", "copy_id"], unique=False)
    op.create_index("ix_documents_copies_recipient", "documents_copies", ["recipient", "issued_at"], unique=False)
    op.create_table(
        "documents_fingerprints",
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hash", "document_id", "version", "span_start", name=op.f("pk_documents_fingerprints")),
        info={"projection": True},
    )
    op.create_table(
        "documents_traces",
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("containment", sa.Float(), nullable=False),
        sa.Column("sites_read", sa.Integer(), nullable=False),
        sa.Column("accused", sa.Text(), nullable=False),
        sa.Column("traced_by", sa.String(length=200), nullable=False),
        sa.Column("traced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("trace_id", name=op.f("pk_documents_traces")),
        info={"projection": True},
    )


def downgrade() -> None:
    op.drop_index("ix_documents_copies_recipient", table_name="documents_copies")
    op.drop_index("ix_documents_copies_document", table_name="documents_copies")
    op.drop_index("ix_documents_documents_tenant", table_name="documents_documents")
    for table in ("documents_traces", "documents_fingerprints", "documents_copies", "documents_versions",
                  "documents_documents", "documents_files"):
        op.drop_table(table)
