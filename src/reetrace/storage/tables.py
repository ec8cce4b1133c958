"""Tables. The log tables are the truth; every other table is a projection that `log replay` can rebuild."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

# INTEGER PRIMARY KEY is SQLite's rowid; BIGINT elsewhere.
Index64 = BigInteger().with_variant(Integer(), "sqlite")

log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", Index64, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("tenant", String(64), nullable=True),
    Column("event_id", String(64), nullable=False, unique=True),
)

# Every perfect subtree hash, 256 per row: row (level, chunk) holds nodes chunk*256 .. chunk*256+255 of
# that level. Rows at levels 0, 8, 16, ... are exactly C2SP tlog-tiles hash tiles.
log_nodes = Table(
    "log_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("chunk", BigInteger, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
    PrimaryKeyConstraint("level", "chunk"),
)

# One row: the sequencer's state. Writers lock it (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite).
log_state = Table(
    "log_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

vault_subjects = Table(
    "vault_subjects",
    metadata,
    Column("subject_id", String(100), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)

vault_values = Table(
    "vault_values",
    metadata,
    Column("subject_id", String(100), nullable=False),
    Column("field", String(100), nullable=False),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    PrimaryKeyConstraint("subject_id", "field"),
)

def projection_tables() -> list[Table]:
    """Tables rebuilt from the log by `log replay` (tagged ``info={"projection": True}``), in dependency order."""
    return [t for t in metadata.sorted_tables if t.info.get("projection")]
