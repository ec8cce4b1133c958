"""Who may call a route: every route declares it, explicitly, in its decorator.

Three declarations exist::

    @router.get("/api/v1/log", **require("log:entry:read"))   # signed in and holding this permission
    @router.get("/api/v1/me", **signed_in())                  # any signed-in user (their own account)
    @router.get("/health", **public())                        # no login at all

``require`` and ``signed_in`` add one :class:`reetrace.web.auth.PermissionCheck` dependency: a session cookie or an
API token, the CSRF token on a session's unsafe requests, and the permission; a refusal is audited. Each also
writes ``x-reetrace-access`` into the route's OpenAPI operation. ``tests/web/test_route_permissions.py``
enumerates every route and fails when one declares nothing. Declaring access per route (never per router) keeps
that test meaningful: a route added to an existing router does not silently inherit anything.

Public routes, and why:

* ``/login`` (GET and POST): one cannot sign in after signing in. The form is protected by a double-submit
  CSRF cookie instead of a session token.
* ``/health``: liveness for load balancers; it shows the log's size, which every checkpoint shows anyway.
* ``/tlog/checkpoint`` and the hash tiles ``/tlog/tile/<L>/<N>``: witnesses and monitors verify the log's
  history from signed checkpoints and tree hashes, which hold no tenant data (a hash reveals nothing of the entry
  it covers). Entry *bundles* (``/tlog/tile/entries/<N>``) hold the entries themselves and require
  ``log:entry:read``; a bundle with an entry outside the reader's tenants is "not found".
* ``/static/...`` (the stylesheet) is mounted by Starlette outside the routers.

Logout is not public: it needs a session and its CSRF token (a forged logout is a nuisance worth preventing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from reetrace.web.auth import PermissionCheck

ACCESS_KEY = "x-reetrace-access"
PUBLIC_ACCESS = "public"
SIGNED_IN_ACCESS = "signed-in"


async def public_route() -> None:
    """Marker dependency: this route needs no login. Does nothing at request time."""


PUBLIC: Any = Depends(public_route)


def public() -> dict[str, Any]:
    """Keyword arguments for a route decorator that declare the route public."""
    return {"dependencies": [PUBLIC], "openapi_extra": {ACCESS_KEY: PUBLIC_ACCESS}}


def require(permission: str) -> dict[str, Any]:
    """Keyword arguments for a route decorator: signed in and holding ``permission`` (checked now, at import)."""
    return {"dependencies": [Depends(PermissionCheck(permission))], "openapi_extra": {ACCESS_KEY: permission}}


def signed_in() -> dict[str, Any]:
    """Keyword arguments for a route decorator: any signed-in user (routes about one's own account)."""
    return {"dependencies": [Depends(PermissionCheck(None))], "openapi_extra": {ACCESS_KEY: SIGNED_IN_ACCESS}}


def route_access(route: APIRoute) -> str | None:
    """``"public"``, ``"signed-in"`` or the permission the route requires; ``None`` when it declares nothing."""
    found: list[str] = []
    for dep in route.dependant.dependencies:
        if dep.call is public_route:
            found.append(PUBLIC_ACCESS)
        elif isinstance(dep.call, PermissionCheck):
            found.append(dep.call.permission or SIGNED_IN_ACCESS)
    if len(found) != 1:
        return None  # nothing, or two declarations that contradict each other
    return found[0]


@dataclass(frozen=True)
class RouteDeclaration:
    path: str
    methods: frozenset[str]
    access: str | None  # None: the route declares nothing (a bug)
    framework: bool  # a route FastAPI or Starlette adds itself (OpenAPI schema, static files)


def declared_routes(app: FastAPI) -> Iterator[RouteDeclaration]:
    """Every route of the app (included routers flattened) with the access it declares."""
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        path = str(context.path or getattr(original, "path", ""))
        methods = frozenset(context.methods or ())
        if isinstance(original, APIRoute):
            yield RouteDeclaration(path, methods, route_access(original), framework=False)
        else:
            yield RouteDeclaration(path, methods, None, framework=True)
