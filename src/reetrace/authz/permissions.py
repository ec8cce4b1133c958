"""Permissions are named ``scope:resource:action``; roles are sets of them. Both are data, checked at start-up.

A permission is granted to a principal by the roles it holds in its tenant; an API token narrows that further
to the scopes it was issued with. ``*`` as the action grants every action on the resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reetrace.errors import Detail, invalid

PERMISSION_PATTERN = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*:([a-z][a-z_]*|\*)$")

PERMISSIONS: dict[str, str] = {
    "log:entry:read": "read log entries, proofs and checkpoints of the tenants one may see",
    "log:entry:append": "append operator notes to the log",
    "audit:trail:read": "browse the audit trail (reads of personal data, denied requests)",
    "authz:user:read": "list the users, roles and tokens of one's tenant",
    "authz:user:manage": "add and disable users, set their roles",
    "authz:token:manage": "issue and revoke API tokens for oneself",
    "registry:enterprise:read": "read enterprises and permits",
    "registry:contact:read": "read contact persons (commitments only)",
    "personal:data:read": "reveal personal data from the vault (every read is audited)",
    "alerts:alert:read": "read alerts",
    "alerts:alert:resolve": "resolve alerts, with a reason",
    "personnel:person:read": "read the personnel registry of one's tenants (commitments, not personal values)",
    "personnel:person:write": "register and import persons, set their access, record departures and employment",
    "personnel:registry:aggregate": "read the national registry's counts by field, secrecy level, province and "
                                    "enterprise",
    "personnel:watchlist:read": "read the watch list of persons and posts",
    "personnel:watchlist:manage": "add persons and posts to the watch list and remove them",
    "personnel:watchlist:check": "check a foreign organisation's staff list or a name against the watch list",
    "personnel:passport:custody": "deposit passports and permits, hand them out and take them back",
    "personnel:travel:read": "read travel requests, approval steps and debriefs",
    "personnel:travel:request": "submit and cancel travel requests for the staff of one's tenant",
    "personnel:travel:approve": "approve or refuse travel at the enterprise level (a user of the person's tenant)",
    "personnel:travel:endorse": "approve or refuse travel at the group level (the person's tenant or a group "
                                "supervising it)",
    "personnel:travel:authorise": "approve or refuse travel at the authority level (an authority supervising the "
                                  "person's tenant)",
    "personnel:debrief:record": "record a traveller's debrief after the return",
    "export:application:read": "read export licence applications, their reviews, licences and shipments",
    "export:application:submit": "submit export licence applications for the enterprises of one's tenant and answer "
                                 "requests for information",
    "export:application:review": "review export licence applications of supervised tenants: notes, requests for "
                                 "information, approvals (licences) and denials",
    "export:shipment:record": "record shipments drawn down against the licences of one's tenant",
    "flow:event:record": "record product flow events (EPCIS 2.0, CSV/XLSX) for the enterprises of one's tenant",
    "flow:lot:read": "read lots, their genealogy (traces back and forward), flow events and mass balances",
    "documents:document:register": "register technical documents and their versions for one's tenant",
    "documents:document:read": "read registered documents, their versions and issued copies",
    "documents:copy:issue": "issue a fingerprinted copy of a document to an allowed person or user",
    "documents:leak:trace": "trace a leaked file or excerpt to its document, version and copies",
}


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    permissions: frozenset[str]


def _role(name: str, description: str, *permissions: str) -> Role:
    return Role(name, description, frozenset(permissions))


VIEWER = ("log:entry:read", "registry:enterprise:read", "alerts:alert:read")
ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _role("viewer", "reads the log and master data", *VIEWER),
        _role("analyst", "works cases: contacts, notes", *VIEWER, "registry:contact:read", "log:entry:append"),
        _role("auditor", "checks the log and the audit trail", *VIEWER, "audit:trail:read"),
        _role("tenant_admin", "manages the users and tokens of the tenant", *VIEWER, "registry:contact:read",
              "log:entry:append", "audit:trail:read", "authz:user:read", "authz:user:manage",
              "authz:token:manage", "personal:data:read"),
        _role("supervisor", "an authority's officer: reads the supervised tenants", *VIEWER,
              "registry:contact:read", "audit:trail:read", "personal:data:read", "authz:token:manage",
              "alerts:alert:resolve", "personnel:person:read", "personnel:registry:aggregate",
              "personnel:watchlist:read", "personnel:watchlist:manage", "personnel:watchlist:check",
              "personnel:travel:read", "personnel:travel:authorise", "export:application:read",
              "export:application:review", "flow:lot:read", "documents:document:read", "documents:leak:trace"),
        _role("security_officer", "an enterprise's security officer: staff, passports and travel", *VIEWER,
              "alerts:alert:resolve", "personnel:person:read", "personnel:person:write", "personnel:watchlist:read",
              "personnel:passport:custody", "personnel:travel:read", "personnel:travel:request",
              "personnel:travel:approve", "personnel:debrief:record", "personal:data:read",
              "export:application:read", "export:application:submit", "export:shipment:record",
              "flow:event:record", "flow:lot:read", "documents:document:register", "documents:document:read",
              "documents:copy:issue", "documents:leak:trace"),
        _role("group_security", "a group's security office: watch list and travel endorsements", *VIEWER,
              "alerts:alert:resolve", "personnel:person:read", "personnel:watchlist:read",
              "personnel:watchlist:manage", "personnel:watchlist:check", "personnel:travel:read",
              "personnel:travel:endorse", "export:application:read"),
    )
}


def check_permission(name: str) -> str:
    if not PERMISSION_PATTERN.match(name):
        raise invalid(f"{name!r} is not a permission name (scope:resource:action)", code="bad_permission")
    scope, resource, action = name.split(":")
    if action != "*" and name not in PERMISSIONS:
        raise invalid(f"unknown permission {name!r}", Detail(f"known: {', '.join(sorted(PERMISSIONS))}", "scopes"),
                      code="unknown_permission")
    if action == "*" and not any(p.startswith(f"{scope}:{resource}:") for p in PERMISSIONS):
        raise invalid(f"no permission matches {name!r}", code="unknown_permission")
    return name


def check_roles(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in ROLES]
    if unknown:
        raise invalid(f"unknown role(s): {', '.join(unknown)}", Detail(f"known: {', '.join(sorted(ROLES))}", "roles"),
                      code="unknown_role")
    return sorted(set(names))


def permissions_of(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    granted: set[str] = set()
    for name in roles:
        role = ROLES.get(name)
        if role is not None:
            granted |= role.permissions
    return frozenset(granted)


def narrow(granted: frozenset[str], scopes: frozenset[str] | None) -> frozenset[str]:
    """What a token may do: the holder's permissions that one of the token's scopes covers."""
    if scopes is None:
        return granted
    return frozenset(p for p in granted if p in scopes or f"{p.rsplit(':', 1)[0]}:*" in scopes)

