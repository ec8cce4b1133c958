"""Bad input on every API route: the one error shape, the right status, never a 422 or a traceback.

The log's routes are tested on the populated log (as the auditor); the routes of accounts, the registry, the audit
trail and notes as a tenant admin with an API token. A last test checks that every API route got bad input."""

from __future__ import annotations

import re

import pytest
from authz_world import World as AuthzWorld
from authz_world import domain_modules
from fastapi.testclient import TestClient
from sqlalchemy import text
from web_checks import assert_error_shape
from web_world import World

from reetrace.storage.engine import write_transaction
from reetrace.web.access import declared_routes
from reetrace.web.errors import is_api_path

BIG = "9" * 30
BEYOND = 10**9  # beyond the log, however many audit events the tests before this one appended

BAD_REQUESTS = [
    # entries/{index}
    ("/api/v1/log/entries/-1", 400, "invalid_request"),
    ("/api/v1/log/entries/abc", 400, "invalid_request"),
    ("/api/v1/log/entries/1.5", 400, "invalid_request"),
    (f"/api/v1/log/entries/{BEYOND}", 404, "not_found"),
    (f"/api/v1/log/entries/{BIG}", 400, "invalid_request"),
    # entries?limit=&kind=
    ("/api/v1/log/entries?limit=0", 400, "invalid_request"),
    ("/api/v1/log/entries?limit=201", 400, "invalid_request"),
    ("/api/v1/log/entries?limit=x", 400, "invalid_request"),
    ("/api/v1/log/entries?kind=Not%20A%20Kind", 400, "invalid_kind"),
    ("/api/v1/log/entries?kind=no.such.kind", 400, "unknown_kind"),
    # events/{event_id}
    ("/api/v1/log/events/no-such-event", 404, "not_found"),
    (f"/api/v1/log/events/{'e' * 65}", 400, "invalid_request"),
    # proof/{index}?size=
    ("/api/v1/log/proof/-1", 400, "invalid_request"),
    ("/api/v1/log/proof/x", 400, "invalid_request"),
    (f"/api/v1/log/proof/{BEYOND}", 404, "not_found"),
    ("/api/v1/log/proof/10?size=10", 400, "out_of_range"),
    ("/api/v1/log/proof/10?size=5", 400, "out_of_range"),
    (f"/api/v1/log/proof/10?size={BEYOND}", 400, "out_of_range"),
    ("/api/v1/log/proof/10?size=-3", 400, "invalid_request"),
    ("/api/v1/log/proof/10?size=ten", 400, "invalid_request"),
    (f"/api/v1/log/proof/10?size={BIG}", 400, "invalid_request"),
    # consistency?old=&new=
    ("/api/v1/log/consistency", 400, "invalid_request"),
    ("/api/v1/log/consistency?old=20&new=10", 400, "out_of_range"),
    (f"/api/v1/log/consistency?old={BEYOND}", 400, "out_of_range"),
    (f"/api/v1/log/consistency?old=1&new={BEYOND}", 400, "out_of_range"),
    ("/api/v1/log/consistency?old=-1", 400, "invalid_request"),
    ("/api/v1/log/consistency?old=a&new=b", 400, "invalid_request"),
    # tlog tiles
    ("/tlog/tile/0/3", 400, "bad_tile_path"),
    ("/tlog/tile/0/000.p/0", 400, "bad_tile_path"),
    ("/tlog/tile/0/000.p/256", 400, "bad_tile_path"),
    ("/tlog/tile/0/x1/000", 400, "bad_tile_path"),
    ("/tlog/tile/9/000", 400, "bad_tile_path"),
    ("/tlog/tile/entries", 400, "bad_tile_path"),
    ("/tlog/tile/0/002", 404, "no_such_tile"),
    ("/tlog/tile/0/009", 404, "no_such_tile"),
    ("/tlog/tile/1/000", 404, "no_such_tile"),
    ("/tlog/tile/0/002.p/250", 404, "no_such_tile"),
    ("/tlog/tile/entries/003", 404, "no_such_tile"),
    # nowhere
    ("/api/v1/nothing-here", 404, "not_found"),
    ("/tlog/nothing-here", 404, "not_found"),
]


@pytest.mark.parametrize(("url", "status", "code"), BAD_REQUESTS)
def test_bad_input_gets_the_error_shape(log_world: World, url: str, status: int, code: str) -> None:
    assert_error_shape(log_world.client.get(url), status, code)


def test_validation_errors_name_the_field(log_world: World) -> None:
    body = assert_error_shape(log_world.client.get("/api/v1/log/proof/-1?size=ten"), 400, "invalid_request")
    locations = {e["location"] for e in body["errors"]}
    assert locations == {"path.index", "query.size"}
    assert "path.index" in body["error"] and "query.size" in body["error"]
    missing = assert_error_shape(log_world.client.get("/api/v1/log/consistency"), 400)
    assert [e["location"] for e in missing["errors"]] == ["query.old"]


def test_wrong_method(log_world: World) -> None:
    assert_error_shape(log_world.client.post("/api/v1/log"), 405, "method_not_allowed")
    assert_error_shape(log_world.client.delete("/api/v1/log/entries/1"), 405, "method_not_allowed")


def test_checkpoint_of_an_empty_log(empty_world: World) -> None:
    assert_error_shape(empty_world.client.get("/api/v1/log/checkpoint"), 404, "empty_log")
    assert_error_shape(empty_world.client.get("/tlog/checkpoint"), 404, "empty_log")
    assert_error_shape(empty_world.client.get("/api/v1/log/proof/0"), 404, "not_found")
    assert_error_shape(empty_world.client.get("/api/v1/log/consistency?old=1"), 400, "out_of_range")


def test_unexpected_failure_is_a_500_without_details(empty_world: World) -> None:
    with write_transaction(empty_world.container.engine) as conn:
        conn.execute(text("DROP TABLE log_entries"))
    body = assert_error_shape(empty_world.client.get("/api/v1/log/entries"), 500, "internal")
    assert "log_entries" not in body["error"] and "sqlite" not in body["error"].lower()


def test_a_corrupt_stored_entry_is_reported(empty_world: World) -> None:
    from web_world import note

    empty_world.container.ledger.record([note(0)])
    with write_transaction(empty_world.container.engine) as conn:
        conn.execute(text("UPDATE log_entries SET entry = :junk WHERE idx = 0"), {"junk": b"not json"})
    assert_error_shape(empty_world.client.get("/api/v1/log/entries/0"), 500, "bad_entry")


ZERO_SUBJECT = "person-" + "0" * 32
# (method, url, json body or raw bytes, status, code) for the routes of accounts, registry, audit and notes
ACCOUNT_BAD_REQUESTS: list[tuple[str, str, object, int, str]] = [
    ("GET", "/api/v1/registry/enterprises?limit=0", None, 400, "invalid_request"),
    ("GET", "/api/v1/registry/enterprises?limit=x", None, 400, "invalid_request"),
    ("GET", "/api/v1/registry/enterprises?offset=-1", None, 400, "invalid_request"),
    ("GET", "/api/v1/registry/enterprises/lower-case", None, 400, "invalid_request"),
    ("GET", "/api/v1/registry/enterprises/NO-SUCH-ONE", None, 404, "not_found"),
    ("POST", "/api/v1/registry/contacts/not-a-subject/reveal", None, 400, "invalid_request"),
    ("POST", f"/api/v1/registry/contacts/{ZERO_SUBJECT}/reveal", None, 404, "not_found"),
    ("GET", "/api/v1/audit?action=nope", None, 400, "invalid_request"),
    ("GET", "/api/v1/audit?limit=0", None, 400, "invalid_request"),
    ("GET", "/api/v1/audit?before=-1", None, 400, "invalid_request"),
    ("GET", f"/api/v1/audit?user={'u' * 65}", None, 400, "invalid_request"),
    ("POST", "/api/v1/tokens", {}, 400, "invalid_request"),
    ("POST", "/api/v1/tokens", {"label": "", "scopes": ["log:entry:read"]}, 400, "invalid_request"),
    ("POST", "/api/v1/tokens", {"label": "x", "scopes": []}, 400, "invalid_request"),
    ("POST", "/api/v1/tokens", {"label": "x", "scopes": ["log:entry:read"], "days": 0}, 400, "invalid_request"),
    ("POST", "/api/v1/tokens", {"label": "x", "scopes": ["no:such:thing"]}, 400, "beyond_own_permissions"),
    ("POST", "/api/v1/tokens", {"label": "x", "scopes": ["x"]}, 400, "beyond_own_permissions"),
    ("POST", "/api/v1/tokens", [1, 2], 400, "invalid_request"),
    ("POST", "/api/v1/tokens", b"{not json", 400, "invalid_request"),
    ("DELETE", "/api/v1/tokens/xyz", None, 400, "invalid_request"),
    ("DELETE", "/api/v1/tokens/0123456789abcdef", None, 404, "not_found"),
    ("POST", "/api/v1/log/notes", [], 400, "invalid_request"),
    ("POST", "/api/v1/log/notes", "a string", 400, "invalid_request"),
    ("POST", "/api/v1/log/notes", b"{not json", 400, "invalid_request"),
    ("POST", "/api/v1/log/notes", {"n": 2**64}, 400, "not_canonicalisable"),
    ("POST", "/api/v1/log/notes", {"text": "x" * 70_000}, 400, "note_too_large"),
    ("PUT", "/api/v1/tokens", None, 405, "method_not_allowed"),
    ("POST", "/health", None, 405, "method_not_allowed"),  # routes that take no input: a wrong method
    ("POST", "/tlog/checkpoint", None, 405, "method_not_allowed"),
    ("POST", "/api/v1/log", None, 405, "method_not_allowed"),
    ("POST", "/api/v1/log/checkpoint", None, 405, "method_not_allowed"),
    ("DELETE", "/api/v1/me", None, 405, "method_not_allowed"),
    ("GET", "/tlog/tile/entries/x", None, 400, "bad_tile_path"),
    ("GET", "/tlog/tile/entries/009", None, 404, "no_such_tile"),
]
NOT_A_ROUTE = {"/api/v1/nothing-here", "/tlog/nothing-here"}


@pytest.mark.parametrize(("method", "url", "body", "status", "code"), ACCOUNT_BAD_REQUESTS,
                         ids=[f"{m} {u[:60]} {c}" for m, u, _, _, c in ACCOUNT_BAD_REQUESTS])
def test_bad_input_on_account_routes(authz_world: AuthzWorld, admin_api: TestClient, method: str, url: str,
                                     body: object, status: int, code: str) -> None:
    before = authz_world.size()
    if isinstance(body, bytes):
        response = admin_api.request(method, url, content=body, headers={"Content-Type": "application/json"})
    else:
        response = admin_api.request(method, url, json=body) if body is not None else admin_api.request(method, url)
    assert_error_shape(response, status, code)
    if status == 400:
        assert authz_world.size() == before  # bad input writes nothing


@pytest.fixture(scope="module")
def admin_api(authz_world: AuthzWorld) -> TestClient:
    return authz_world.bearer("alice")


def test_every_api_route_gets_bad_input(authz_world: AuthzWorld) -> None:
    """Each API route of the app appears in one of the bad-input tables above."""
    tested = {url.split("?")[0] for url, _, _ in BAD_REQUESTS} | {url.split("?")[0] for _, url, *_ in
                                                                  ACCOUNT_BAD_REQUESTS}
    for module in domain_modules():  # each domain sends its bad input in its own tests, listed in BAD_REQUESTS
        tested |= {request[2].split("?")[0] for request in getattr(module, "BAD_REQUESTS", ())}
    for route in declared_routes(authz_world.app):
        if route.framework or not is_api_path(route.path):
            continue
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^?]+", route.path.replace(":path}", "}")) + "$")
        assert any(pattern.match(url) for url in tested - NOT_A_ROUTE), f"no bad input sent to {route.path}"
