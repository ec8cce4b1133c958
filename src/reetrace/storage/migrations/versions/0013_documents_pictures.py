"""documents pictures and codewords: the picture index (feature descriptors of every page or diagram a picture copy
was rendered from, keyed by the version file's SHA-256 and the page) and the sealed codeword cache (chunks of issued
copies' codewords, AES-GCM under a key derived from the document's code key); both derived, not projections; and
an index of the content index by version (a trace loads its candidates' fingerprints)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_fingerprints_version", "documents_fingerprints", ["document_id", "version"],
                    unique=False)
    op.create_table(
        "documents_pictures",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("descriptors", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "page", name=op.f("pk_documents_pictures")),
    )
    op.create_table(
        "documents_codewords",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("copy_ids", sa.Text(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version", "chunk", name=op.f("pk_documents_codewords")),
    )


def downgrade() -> None:
    op.drop_table("documents_codewords")
    op.drop_table("documents_pictures")
    op.drop_index("ix_documents_fingerprints_version", table_name="documents_fingerprints")
