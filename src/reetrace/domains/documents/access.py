"""Access events of issued copies: every open, download and print of a copy is a ``documents.copy.opened`` entry.

The entry names the copy, its document and version and what was done (``open``, ``download`` or ``print``), the
device and IP address it was done from; its subjects are the copy id, the document id and the copy's recipient
(their person id, or the user name), so that the personnel domain's insider signals
(:func:`reetrace.domains.personnel.queries.document_access`, which reads ``documents.copy.opened``) find it. No
table is projected: the log is where these events are read.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from pydantic import Field
from sqlalchemy import select

from reetrace.domains.personnel.models import Caller
from reetrace.errors import Detail, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork

from .models import COPY_ID, DOCUMENT_ID, _Frozen
from .tables import copies

OPENED = "documents.copy.opened"
ACTIONS = ("open", "download", "print")
Action = Literal["open", "download", "print"]


class CopyAccessed(_Frozen):
    copy_id: str = Field(pattern=COPY_ID)
    document_id: str = Field(pattern=DOCUMENT_ID)
    version: int = Field(ge=1)
    action: Action
    device: str | None = Field(default=None, min_length=1, max_length=200)
    ip: str | None = Field(default=None, min_length=2, max_length=45)


@dataclass(frozen=True)
class CopyAccess:
    copy_id: str
    document_id: str
    version: int
    recipient: str
    action: str
    entry_idx: int


def _checked(action: str, device: str | None, ip: str | None) -> tuple[str | None, str | None]:
    problems = []
    if action not in ACTIONS:
        problems.append(Detail(f"unknown action {action!r}: one of {', '.join(ACTIONS)}", "action"))
    name = None if device is None or not device.strip() else device.strip()
    if name is not None and len(name) > 200:
        problems.append(Detail("a device name has at most 200 characters", "device"))
    address = None
    if ip is not None and ip.strip():
        try:
            address = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            problems.append(Detail(f"{ip!r} is not an IPv4 or IPv6 address", "ip"))
    if problems:
        raise invalid(f"the access is not valid: {problems[0].location}: {problems[0].message}", *problems)
    return name, address


def record_copy_access(uow: UnitOfWork, caller: Caller, copy_id: str, action: str, *, device: str | None = None,
                       ip: str | None = None) -> CopyAccess:
    """Record that a copy was opened, downloaded or printed. A copy outside the caller's tenants is a 404."""
    name, address = _checked(action, device, ip)
    row = uow.conn.execute(select(copies).where(copies.c.copy_id == copy_id,
                                                copies.c.tenant.in_(sorted(caller.tenants)))).first()
    if row is None:
        raise not_found(f"no copy {copy_id!r} in your tenants")
    body = CopyAccessed(copy_id=row.copy_id, document_id=row.document_id, version=row.version,
                        action=action, device=name, ip=address)
    index = uow.record(Event(kind=OPENED, tenant=row.tenant, actor=caller.actor,
                             subjects=(row.copy_id, row.document_id, row.recipient),
                             body=body.model_dump(mode="json")))
    return CopyAccess(row.copy_id, row.document_id, row.version, row.recipient, action, index)


KINDS = [
    EventKind(OPENED, CopyAccessed, None,
              "an issued copy was opened, downloaded or printed (action), from a device and an IP address"),
]
