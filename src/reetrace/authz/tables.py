"""Tables of accounts and tenants.

Tenants, supervision, users and tokens are projections of ``authz.*`` events (``log replay`` rebuilds them).
Secrets and ephemeral state — password hashes, token hashes, console sessions, login attempts — are not facts
for the log and live in tables of their own that replay leaves alone.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from reetrace.storage.tables import Index64, metadata

tenants = Table(
    "authz_tenants",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("name_zh", String(300), nullable=True),
    Column("kind", String(32), nullable=False),  # authority | group | enterprise | customs
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

supervision = Table(
    "authz_supervision",
    metadata,
    Column("supervisor", String(64), ForeignKey("authz_tenants.tenant_id"), nullable=False),
    Column("supervised", String(64), ForeignKey("authz_tenants.tenant_id"), nullable=False),
    Column("entry_idx", Index64, nullable=False),
    PrimaryKeyConstraint("supervisor", "supervised"),
    info={"projection": True},
)

users = Table(
    "authz_users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("tenant", String(64), ForeignKey("authz_tenants.tenant_id"), nullable=False, index=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(80), nullable=False),  # a vault commitment, not the name
    Column("roles", Text, nullable=False),  # space-separated role names
    Column("locale", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

tokens = Table(
    "authz_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("user_id", String(64), ForeignKey("authz_users.user_id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("scopes", Text, nullable=False),  # space-separated permissions
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("entry_idx", Index64, nullable=False),
    info={"projection": True},
)

# The audit trail, for browsing: a projection of ``audit.access`` events (the events themselves are the record).
audit_trail = Table(
    "audit_trail",
    metadata,
    Column("entry_idx", Index64, primary_key=True, autoincrement=False),
    Column("tenant", String(64), nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("username", String(64), nullable=True),
    Column("target", String(500), nullable=False),
    Column("permission", String(100), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("method", String(10), nullable=False),
    Index("ix_audit_trail_tenant_entry", "tenant", "entry_idx"),
    info={"projection": True},
)

credentials = Table(
    "authz_credentials",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

token_secrets = Table(
    "authz_token_secrets",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("secret_hash", LargeBinary(32), nullable=False),
)

sessions = Table(
    "authz_sessions",
    metadata,
    Column("session_hash", LargeBinary(32), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("last_seen_at", DateTime(timezone=True), nullable=True),  # idle timeout; NULL: not seen since login
)

login_attempts = Table(
    "authz_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
