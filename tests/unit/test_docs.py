"""Reference pages in docs/ are checked against the code."""

from __future__ import annotations

import re
from pathlib import Path

from reetrace.authz.permissions import PERMISSIONS, ROLES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_permissions_page_lists_every_permission_and_role_exactly() -> None:
    text = (DOCS / "permissions.md").read_text(encoding="utf-8")
    permissions = dict(re.findall(r"^\| `([a-z_]+:[a-z_]+:[a-z_*]+)` \| (.+) \|$", text, re.M))
    assert permissions == PERMISSIONS
    roles = {name: set(re.findall(r"`([^`]+)`", perms))
             for name, perms in re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| (.+) \|$", text, re.M)}
    assert roles == {r.name: set(r.permissions) for r in ROLES.values()}
