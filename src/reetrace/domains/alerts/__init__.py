"""Alerts: findings of any domain that need a person's attention, on the log and in a tenant-scoped table.

A domain raises one with :func:`raise_alert` inside its unit of work (deduplicated by ``dedupe_key`` while an
alert with that key is open); people close it with :func:`resolve_alert` and a reason.
"""

from __future__ import annotations

from .models import Alert, AlertRaised, AlertResolved
from .queries import alerts_about, get_alert, open_alerts
from .service import KINDS, open_alert_id, raise_alert, resolve_alert

__all__ = ["KINDS", "Alert", "AlertRaised", "AlertResolved", "alerts_about", "get_alert", "open_alert_id",
           "open_alerts", "raise_alert", "resolve_alert"]
