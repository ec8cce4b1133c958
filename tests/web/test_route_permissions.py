"""Every route declares who may call it: a permission, any signed-in user, or public — and only a few are public."""

from __future__ import annotations

import pytest
from authz_world import domain_modules
from fastapi import APIRouter, FastAPI
from web_world import World

from reetrace.authz.permissions import PERMISSIONS
from reetrace.errors import Error
from reetrace.web.access import declared_routes, public, require, signed_in
from reetrace.web.app import OPENAPI_URL

FRAMEWORK_ROUTES = {OPENAPI_URL, "/static"}  # the OpenAPI schema and the CSS, added by FastAPI/Starlette

EXPECTED = {
    # public: sign-in, liveness, what witnesses and monitors need (no tenant data)
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("GET", "/health"): "public",
    ("GET", "/tlog/checkpoint"): "public",
    ("GET", "/tlog/tile/{tile_path:path}"): "public",
    # one's own account
    ("POST", "/logout"): "signed-in",
    ("POST", "/account/locale"): "signed-in",
    ("GET", "/api/v1/me"): "signed-in",
    # the log
    ("GET", "/"): "log:entry:read",
    ("GET", "/log/entries/{index}"): "log:entry:read",
    ("GET", "/log/lookup"): "log:entry:read",
    ("GET", "/log/checkpoints"): "log:entry:read",
    ("GET", "/api/v1/log"): "log:entry:read",
    ("GET", "/api/v1/log/checkpoint"): "log:entry:read",
    ("GET", "/api/v1/log/entries"): "log:entry:read",
    ("GET", "/api/v1/log/entries/{index}"): "log:entry:read",
    ("GET", "/api/v1/log/events/{event_id}"): "log:entry:read",
    ("GET", "/api/v1/log/proof/{index}"): "log:entry:read",
    ("GET", "/api/v1/log/consistency"): "log:entry:read",
    ("GET", "/tlog/tile/entries/{tile_path:path}"): "log:entry:read",
    ("POST", "/api/v1/log/notes"): "log:entry:append",
    # the registry
    ("GET", "/registry/enterprises"): "registry:enterprise:read",
    ("GET", "/registry/enterprises/{enterprise_id}"): "registry:enterprise:read",
    ("GET", "/api/v1/registry/enterprises"): "registry:enterprise:read",
    ("GET", "/api/v1/registry/enterprises/{enterprise_id}"): "registry:enterprise:read",
    ("POST", "/registry/contacts/{subject_id}/reveal"): "personal:data:read",
    ("POST", "/api/v1/registry/contacts/{subject_id}/reveal"): "personal:data:read",
    # audit trail
    ("GET", "/audit"): "audit:trail:read",
    ("GET", "/api/v1/audit"): "audit:trail:read",
    # accounts
    ("GET", "/admin/users"): "authz:user:read",
    ("POST", "/admin/users"): "authz:user:manage",
    ("POST", "/admin/users/{user_id}/roles"): "authz:user:manage",
    ("POST", "/admin/users/{user_id}/disable"): "authz:user:manage",
    ("GET", "/tokens"): "authz:token:manage",
    ("POST", "/tokens"): "authz:token:manage",
    ("POST", "/tokens/{token_id}/revoke"): "authz:token:manage",
    ("GET", "/api/v1/tokens"): "authz:token:manage",
    ("POST", "/api/v1/tokens"): "authz:token:manage",
    ("DELETE", "/api/v1/tokens/{token_id}"): "authz:token:manage",
}
for _module in domain_modules():
    EXPECTED |= _module.EXPECTED


def app_of(world: World) -> FastAPI:
    app = world.client.app
    assert isinstance(app, FastAPI)
    return app


def declared(app: FastAPI) -> dict[tuple[str, str], str | None]:
    return {(method, r.path): r.access for r in declared_routes(app) if not r.framework for method in r.methods}


def test_every_route_declares_its_access(log_world: World) -> None:
    routes = list(declared_routes(app_of(log_world)))
    assert {r.path for r in routes if r.framework} == FRAMEWORK_ROUTES
    undeclared = sorted(r.path for r in routes if not r.framework and r.access is None)
    assert undeclared == []
    for route in routes:
        if not route.framework:
            assert route.access in {"public", "signed-in"} | set(PERMISSIONS), route


def test_routes_and_their_permissions(log_world: World) -> None:
    """The whole table: a new route, or a changed permission, is a deliberate change of this test."""
    assert declared(app_of(log_world)) == EXPECTED


def test_openapi_names_each_operations_access(log_world: World) -> None:
    schema = log_world.client.get(OPENAPI_URL).json()
    for openapi_path, operations in schema["paths"].items():
        path = openapi_path.replace("{tile_path}", "{tile_path:path}")
        for method, operation in operations.items():
            assert operation["x-reetrace-access"] == EXPECTED[(method.upper(), path)]
            assert "422" not in operation["responses"]
            if EXPECTED[(method.upper(), path)] != "public":
                assert {"401", "403"} <= set(operation["responses"]), path
                assert operation["security"] == [{"token": []}, {"session": []}]


def test_a_route_without_declaration_is_found() -> None:
    app = FastAPI()

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    assert [(r.path, r.access) for r in declared_routes(app) if not r.framework] == [("/forgotten", None)]


def test_a_route_in_an_included_router_without_declaration_is_found() -> None:
    app = FastAPI()
    router = APIRouter(prefix="/api/v1/things")

    @router.get("/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        return {}

    app.include_router(router)
    assert [(r.path, r.access) for r in declared_routes(app) if not r.framework] == [("/api/v1/things/{thing_id}",
                                                                                       None)]


def test_contradicting_declarations_count_as_none() -> None:
    app = FastAPI()

    @app.get("/both", dependencies=[*public()["dependencies"], *require("log:entry:read")["dependencies"]])
    def both() -> dict[str, str]:
        return {}

    @app.get("/mine", **signed_in())
    def mine() -> dict[str, str]:
        return {}

    assert {r.path: r.access for r in declared_routes(app) if not r.framework} == {"/both": None,
                                                                                   "/mine": "signed-in"}


@pytest.mark.parametrize("name", ["log:entry:delete", "not a permission", "log:*:read"])
def test_require_refuses_unknown_permissions_at_import(name: str) -> None:
    with pytest.raises(Error):
        require(name)
