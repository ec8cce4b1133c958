"""Bad input on every API route: the one error shape, the right status, never a 422 or a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from web_checks import assert_error_shape
from web_world import SIZE, World

from reetrace.storage.engine import write_transaction

BIG = "9" * 30

BAD_REQUESTS = [
    # entries/{index}
    ("/api/v1/log/entries/-1", 400, "invalid_request"),
    ("/api/v1/log/entries/abc", 400, "invalid_request"),
    ("/api/v1/log/entries/1.5", 400, "invalid_request"),
    (f"/api/v1/log/entries/{SIZE}", 404, "not_found"),
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
    (f"/api/v1/log/proof/{SIZE}", 404, "not_found"),
    ("/api/v1/log/proof/10?size=10", 400, "out_of_range"),
    ("/api/v1/log/proof/10?size=5", 400, "out_of_range"),
    (f"/api/v1/log/proof/10?size={SIZE + 1}", 400, "out_of_range"),
    ("/api/v1/log/proof/10?size=-3", 400, "invalid_request"),
    ("/api/v1/log/proof/10?size=ten", 400, "invalid_request"),
    (f"/api/v1/log/proof/10?size={BIG}", 400, "invalid_request"),
    # consistency?old=&new=
    ("/api/v1/log/consistency", 400, "invalid_request"),
    ("/api/v1/log/consistency?old=20&new=10", 400, "out_of_range"),
    (f"/api/v1/log/consistency?old={SIZE + 1}", 400, "out_of_range"),
    (f"/api/v1/log/consistency?old=1&new={SIZE + 1}", 400, "out_of_range"),
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
    ("/tlog/tile/0/002.p/89", 404, "no_such_tile"),
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
