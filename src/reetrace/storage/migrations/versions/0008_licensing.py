"""licensing: licence applications, review steps, licences, shipments (projections of licensing.* events) and the
certificate files (bytes keyed by tenant and SHA-256; the log holds name, size and digest)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEX64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "licensing_applications",
        sa.Column("application_id", sa.String(length=24), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("exporter_id", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.String(length=100), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("classification", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("rule_ids", sa.String(length=300), nullable=False),
        sa.Column("quantity_kg", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=4), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("consignee", sa.Text(), nullable=False),
        sa.Column("end_user", sa.Text(), nullable=False),
        sa.Column("intermediaries", sa.Text(), nullable=False),
        sa.Column("end_use", sa.Text(), nullable=False),
        sa.Column("military_end_use", sa.Boolean(), nullable=False),
        sa.Column("final_destination", sa.String(length=2), nullable=False),
        sa.Column("product", sa.String(length=500), nullable=False),
        sa.Column("certificates", sa.Text(), nullable=False),
        sa.Column("screening", sa.Text(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("paused_workdays", sa.Integer(), nullable=False),
        sa.Column("paused_since", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("licence_id", sa.String(length=24), nullable=True),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.Column("updated_idx", INDEX64, nullable=False),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_licensing_applications")),
        info={"projection": True},
    )
    op.create_index("ix_licensing_applications_status_due", "licensing_applications", ["status", "due_on"],
                    unique=False)
    op.create_index("ix_licensing_applications_tenant_status", "licensing_applications", ["tenant", "status"],
                    unique=False)
    op.create_table(
        "licensing_certificate_files",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "sha256", name=op.f("pk_licensing_certificate_files")),
    )
    op.create_table(
        "licensing_licences",
        sa.Column("licence_id", sa.String(length=24), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=24), nullable=False),
        sa.Column("exporter_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("quantity_kg", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("remaining_kg", sa.String(length=40), nullable=False),
        sa.Column("remaining_value", sa.String(length=40), nullable=False),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.Column("updated_idx", INDEX64, nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["licensing_applications.application_id"],
                                name=op.f("fk_licensing_licences_application_id_licensing_applications")),
        sa.PrimaryKeyConstraint("licence_id", name=op.f("pk_licensing_licences")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_licensing_licences_tenant"), "licensing_licences", ["tenant"], unique=False)
    op.create_table(
        "licensing_review_steps",
        sa.Column("entry_idx", INDEX64, autoincrement=False, nullable=False),
        sa.Column("application_id", sa.String(length=24), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("user_tenant", sa.String(length=64), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["licensing_applications.application_id"],
                                name=op.f("fk_licensing_review_steps_application_id_licensing_applications")),
        sa.PrimaryKeyConstraint("entry_idx", name=op.f("pk_licensing_review_steps")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_licensing_review_steps_application_id"), "licensing_review_steps", ["application_id"],
                    unique=False)
    op.create_table(
        "licensing_shipments",
        sa.Column("shipment_id", sa.String(length=24), nullable=False),
        sa.Column("licence_id", sa.String(length=24), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("quantity_kg", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("refusal", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.String(length=20), nullable=True),
        sa.Column("entry_idx", INDEX64, nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licensing_licences.licence_id"],
                                name=op.f("fk_licensing_shipments_licence_id_licensing_licences")),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_licensing_shipments")),
        info={"projection": True},
    )
    op.create_index(op.f("ix_licensing_shipments_licence_id"), "licensing_shipments", ["licence_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_licensing_shipments_licence_id"), table_name="licensing_shipments")
    op.drop_table("licensing_shipments")
    op.drop_index(op.f("ix_licensing_review_steps_application_id"), table_name="licensing_review_steps")
    op.drop_table("licensing_review_steps")
    op.drop_index(op.f("ix_licensing_licences_tenant"), table_name="licensing_licences")
    op.drop_table("licensing_licences")
    op.drop_table("licensing_certificate_files")
    op.drop_index("ix_licensing_applications_tenant_status", table_name="licensing_applications")
    op.drop_index("ix_licensing_applications_status_due", table_name="licensing_applications")
    op.drop_table("licensing_applications")
