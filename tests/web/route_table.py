"""Every guarded route with a request that would succeed for a user holding its permission (ids filled in from
the :mod:`authz_world`), so that matrices (401, 403, CSRF) cover every route, and a test notices a new one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authz_world import ENTERPRISE, World, domain_modules
from fastapi import FastAPI

from reetrace.web.access import declared_routes


@dataclass(frozen=True)
class Call:
    method: str
    url: str  # with {placeholders}
    route: str  # the route's path as declared
    permission: str  # or "signed-in"
    json: Any = None
    form: dict[str, Any] | None = None

    def url_in(self, world: World) -> str:
        return self.url.format(**placeholders(world))

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route


def placeholders(world: World) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module in domain_modules():
        found.update(module.placeholders(world))
    return found | {"enterprise_a": ENTERPRISE["group-a"], "contact_a": world.contacts["group-a"],
            "note_a": world.notes["group-a"], "anna": world.user_ids["anna"], "token": "0123456789abcdef"}


API = [
    Call("GET", "/api/v1/log", "/api/v1/log", "log:entry:read"),
    Call("GET", "/api/v1/log/checkpoint", "/api/v1/log/checkpoint", "log:entry:read"),
    Call("GET", "/api/v1/log/entries", "/api/v1/log/entries", "log:entry:read"),
    Call("GET", "/api/v1/log/entries/{note_a}", "/api/v1/log/entries/{index}", "log:entry:read"),
    Call("GET", "/api/v1/log/events/x", "/api/v1/log/events/{event_id}", "log:entry:read"),
    Call("GET", "/api/v1/log/proof/{note_a}", "/api/v1/log/proof/{index}", "log:entry:read"),
    Call("GET", "/api/v1/log/consistency?old=1", "/api/v1/log/consistency", "log:entry:read"),
    Call("GET", "/tlog/tile/entries/000.p/1", "/tlog/tile/entries/{tile_path:path}", "log:entry:read"),
    Call("POST", "/api/v1/log/notes", "/api/v1/log/notes", "log:entry:append", json={"text": "x"}),
    Call("GET", "/api/v1/me", "/api/v1/me", "signed-in"),
    Call("GET", "/api/v1/registry/enterprises", "/api/v1/registry/enterprises", "registry:enterprise:read"),
    Call("GET", "/api/v1/registry/enterprises/{enterprise_a}", "/api/v1/registry/enterprises/{enterprise_id}",
         "registry:enterprise:read"),
    Call("POST", "/api/v1/registry/contacts/{contact_a}/reveal", "/api/v1/registry/contacts/{subject_id}/reveal",
         "personal:data:read"),
    Call("GET", "/api/v1/audit", "/api/v1/audit", "audit:trail:read"),
    Call("GET", "/api/v1/tokens", "/api/v1/tokens", "authz:token:manage"),
    Call("POST", "/api/v1/tokens", "/api/v1/tokens", "authz:token:manage",
         json={"label": "x", "scopes": ["log:entry:read"]}),
    Call("DELETE", "/api/v1/tokens/{token}", "/api/v1/tokens/{token_id}", "authz:token:manage"),
]

CONSOLE = [
    Call("GET", "/", "/", "log:entry:read"),
    Call("GET", "/log/entries/{note_a}", "/log/entries/{index}", "log:entry:read"),
    Call("GET", "/log/lookup?q={note_a}", "/log/lookup", "log:entry:read"),
    Call("GET", "/log/checkpoints", "/log/checkpoints", "log:entry:read"),
    Call("GET", "/registry/enterprises", "/registry/enterprises", "registry:enterprise:read"),
    Call("GET", "/registry/enterprises/{enterprise_a}", "/registry/enterprises/{enterprise_id}",
         "registry:enterprise:read"),
    Call("POST", "/registry/contacts/{contact_a}/reveal", "/registry/contacts/{subject_id}/reveal",
         "personal:data:read", form={}),
    Call("GET", "/audit", "/audit", "audit:trail:read"),
    Call("GET", "/admin/users", "/admin/users", "authz:user:read"),
    Call("POST", "/admin/users", "/admin/users", "authz:user:manage",
         form={"username": "carol", "display_name": "Carol", "password": "Correct-horse-43", "roles": "viewer"}),
    Call("POST", "/admin/users/{anna}/roles", "/admin/users/{user_id}/roles", "authz:user:manage",
         form={"roles": "analyst"}),
    Call("POST", "/admin/users/{anna}/disable", "/admin/users/{user_id}/disable", "authz:user:manage",
         form={"reason": "left"}),
    Call("GET", "/tokens", "/tokens", "authz:token:manage"),
    Call("POST", "/tokens", "/tokens", "authz:token:manage", form={"label": "x", "scopes": "log:entry:read"}),
    Call("POST", "/tokens/{token}/revoke", "/tokens/{token_id}/revoke", "authz:token:manage", form={}),
    Call("POST", "/logout", "/logout", "signed-in", form={}),
    Call("POST", "/account/locale", "/account/locale", "signed-in", form={"locale": "zh-Hans"}),
]

for _module in domain_modules():
    API += _module.API
    CONSOLE += _module.CONSOLE

GUARDED = API + CONSOLE


def guarded_routes(app: FastAPI) -> dict[tuple[str, str], str | None]:
    """(method, path) -> access of every route that is not public."""
    return {(m, r.path): r.access for r in declared_routes(app) if not r.framework and r.access != "public"
            for m in r.methods}


def send(client: Any, call: Call, world: World, **extra: Any) -> Any:
    url = call.url_in(world)
    if call.form is not None:
        return client.request(call.method, url, data=call.form, follow_redirects=False, **extra)
    if call.json is not None:
        return client.request(call.method, url, json=call.json, follow_redirects=False, **extra)
    return client.request(call.method, url, follow_redirects=False, **extra)
