"""Every domain's event kinds and read tables, gathered in one place (and nowhere else)."""

from __future__ import annotations

from reetrace.authz.service import KINDS as AUTHZ_KINDS
from reetrace.domains import tables as _tables  # noqa: F401  (registers every table)
from reetrace.domains.alerts.service import KINDS as ALERT_KINDS
from reetrace.domains.documents.access import KINDS as DOCUMENT_ACCESS_KINDS
from reetrace.domains.documents.registry import KINDS as DOCUMENT_KINDS
from reetrace.domains.flow.quotas import KINDS as FLOW_QUOTA_KINDS
from reetrace.domains.flow.reports import KINDS as FLOW_REPORT_KINDS
from reetrace.domains.flow.service import KINDS as FLOW_KINDS
from reetrace.domains.licensing.application_projections import KINDS as LICENSING_KINDS
from reetrace.domains.notes import KINDS as NOTE_KINDS
from reetrace.domains.personnel.passports import KINDS as PASSPORT_KINDS
from reetrace.domains.personnel.service import KINDS as PERSONNEL_KINDS
from reetrace.domains.personnel.travel import KINDS as TRAVEL_KINDS
from reetrace.domains.registry.service import KINDS as REGISTRY_KINDS
from reetrace.domains.screening.lists import KINDS as SCREENING_KINDS
from reetrace.domains.screening.rescreen import KINDS as RESCREEN_KINDS
from reetrace.domains.screening.whitelist import KINDS as WHITELIST_KINDS
from reetrace.events import KindRegistry


def default_kinds() -> KindRegistry:
    registry = KindRegistry()
    registry.extend(NOTE_KINDS)
    registry.extend(REGISTRY_KINDS)
    registry.extend(AUTHZ_KINDS)
    registry.extend(ALERT_KINDS)
    registry.extend(PERSONNEL_KINDS)
    registry.extend(TRAVEL_KINDS)
    registry.extend(PASSPORT_KINDS)
    registry.extend(SCREENING_KINDS)
    registry.extend(LICENSING_KINDS)
    registry.extend(WHITELIST_KINDS)
    registry.extend(RESCREEN_KINDS)
    registry.extend(FLOW_KINDS)
    registry.extend(FLOW_QUOTA_KINDS)
    registry.extend(FLOW_REPORT_KINDS)
    registry.extend(DOCUMENT_KINDS)
    registry.extend(DOCUMENT_ACCESS_KINDS)
    return registry
