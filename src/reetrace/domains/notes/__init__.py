"""Operator annotations: the ``note`` kind accepts any JSON object as its body.

Notes have no read table of their own: they are read from the log (``log_entries`` where kind is ``note``).
"""

from __future__ import annotations

from reetrace.events import EventKind

KINDS = [EventKind("note", None, None, "an operator's annotation; any JSON object")]
