"""The demo's login table points each role at console pages: every one is a GET page of the console that the role
may open (its permission is among the role's), and every demo user's first role has an entry."""

from __future__ import annotations

from pathlib import Path

from reetrace.authz.permissions import permissions_of
from reetrace.container import build_container
from reetrace.demo import world
from reetrace.demo.run import START_PAGES
from reetrace.settings import load_settings
from reetrace.web.access import declared_routes
from reetrace.web.app import create_app


def test_every_start_page_is_a_console_page_the_role_may_open(tmp_path: Path) -> None:
    container = build_container(load_settings(environ={}, home=tmp_path))
    try:
        routes = {r.path: r for r in declared_routes(create_app(container)) if "GET" in r.methods}
    finally:
        container.close()
    for role, pages in START_PAGES.items():
        for path in pages:
            route = routes.get(path)
            assert route is not None and not path.startswith("/api/"), f"{role}: {path} is not a console page"
            assert route.access in ("signed-in", "public") or route.access in permissions_of([role]), (role, path)
    assert {roles[0] for _, _, _, roles, _ in world.DEMO_USERS} <= set(START_PAGES)
