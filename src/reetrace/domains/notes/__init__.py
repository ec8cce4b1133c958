"""Operator annotations: the ``note`` kind accepts any JSON object as its body."""

from __future__ import annotations

import rfc8785
from sqlalchemy import Connection, insert

from reetrace.events import Event, EventKind
from reetrace.storage.tables import notes


def _project(conn: Connection, event: Event, index: int) -> None:
    conn.execute(insert(notes).values(entry_idx=index, tenant=event.tenant, actor=event.actor,
                                      occurred_at=event.occurred_at,
                                      body=rfc8785.dumps(event.body).decode("utf-8")))


KINDS = [EventKind("note", None, _project, "an operator's annotation; any JSON object")]
