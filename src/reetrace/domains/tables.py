"""Import every domain's table module so that ``metadata`` is complete (for migrations and replay)."""

from __future__ import annotations

from reetrace.authz import tables as authz_tables
from reetrace.domains.registry import tables as registry_tables
from reetrace.storage.tables import metadata

__all__ = ["authz_tables", "metadata", "registry_tables"]
