"""Who may call a route: every route declares it, explicitly.

Until accounts and permissions exist (issue 3), every route of the console and the API is **public**, and says
so in its decorator::

    @router.get("/api/v1/log", **public())

which adds the :data:`PUBLIC` dependency and ``x-reetrace-access: public`` to the route's OpenAPI operation.
``public_route`` does nothing at request time; it is a marker that :func:`route_access` finds in the route's
dependency tree. Issue 3 adds a permission dependency (``require("log:entry:read")``) next to it and a test that
enumerates every route and fails when one declares neither. Declaring access per route (never per router) keeps
that test meaningful: a new route added to an existing router does not silently inherit "public".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

ACCESS_KEY = "x-reetrace-access"


def public_route() -> None:
    """Marker dependency: this route needs no login (for now every route; later login, health, tiles)."""


PUBLIC: Any = Depends(public_route)


def public() -> dict[str, Any]:
    """Keyword arguments for a route decorator that declare the route public."""
    return {"dependencies": [PUBLIC], "openapi_extra": {ACCESS_KEY: "public"}}


def route_access(route: APIRoute) -> str | None:
    """``"public"`` when the route declares :data:`PUBLIC`; ``None`` when it declares nothing."""
    calls = [dep.call for dep in route.dependant.dependencies]
    if public_route in calls:
        return "public"
    return None


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
