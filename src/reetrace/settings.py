"""Typed settings. Every environment variable reetrace reads is read here, and only when asked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_ORIGIN = "reetrace.local/log"


@dataclass(frozen=True)
class Settings:
    """Where reetrace keeps its data and how it behaves.

    ``home`` holds the SQLite file, the log signing key, the vault key file and the witnesses' state.
    ``database_url`` overrides the SQLite default (``postgresql+psycopg://...`` for PostgreSQL).
    """

    home: Path
    database_url: str | None = None
    origin: str = DEFAULT_ORIGIN
    vault_key: str | None = None
    sqlite_synchronous: str = "FULL"
    password_cost: str = "default"
    session_hours: int = 12
    session_idle_minutes: int = 30

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'reetrace.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def log_key_path(self) -> Path:
        return self.home / "log.key"

    @property
    def vault_key_path(self) -> Path:
        return self.home / "vault.key"

    @property
    def witness_dir(self) -> Path:
        return self.home / "witnesses"

    @property
    def witness_policy_path(self) -> Path:
        """The deployment's witness policy (C2SP tlog-policy subset): which cosignatures count."""
        return self.home / "witness-policy.txt"

    @property
    def latest_checkpoint_path(self) -> Path:
        return self.home / "checkpoint"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the environment (``REETRACE_*``) and explicit overrides (CLI flags win)."""
    env = os.environ if environ is None else environ
    home = Path(str(overrides.pop("home", None) or env.get("REETRACE_HOME") or ".reetrace")).resolve()
    settings = Settings(
        home=home,
        database_url=env.get("REETRACE_DATABASE_URL") or None,
        origin=env.get("REETRACE_ORIGIN") or DEFAULT_ORIGIN,
        vault_key=env.get("REETRACE_VAULT_KEY") or None,
        sqlite_synchronous=env.get("REETRACE_SQLITE_SYNCHRONOUS") or "FULL",
        password_cost=env.get("REETRACE_PASSWORD_COST") or "default",
        session_idle_minutes=_positive_int(env, "REETRACE_SESSION_IDLE_MINUTES", 30),
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    return settings.with_(**clean) if clean else settings


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number
