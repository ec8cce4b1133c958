"""Import every domain's table module so that ``metadata`` is complete (for migrations and replay)."""

from __future__ import annotations

from reetrace.authz import tables as authz_tables
from reetrace.domains.alerts import tables as alert_tables
from reetrace.domains.documents import tables as document_tables
from reetrace.domains.flow import quota_tables as flow_quota_tables
from reetrace.domains.flow import tables as flow_tables
from reetrace.domains.licensing import application_tables as licensing_tables
from reetrace.domains.personnel import tables as personnel_tables
from reetrace.domains.personnel import travel_tables as personnel_travel_tables
from reetrace.domains.registry import tables as registry_tables
from reetrace.domains.screening import tables as screening_tables
from reetrace.domains.screening import whitelist_tables as screening_whitelist_tables
from reetrace.storage.tables import metadata

__all__ = ["alert_tables", "authz_tables", "document_tables", "flow_quota_tables", "flow_tables", "licensing_tables",
           "metadata", "personnel_tables", "personnel_travel_tables", "registry_tables", "screening_tables",
           "screening_whitelist_tables"]
