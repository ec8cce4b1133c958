"""Console pages render real values; console errors are HTML pages, never JSON."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from web_world import SIZE, WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY, World, note

from reetrace.storage.engine import write_transaction
from reetrace.storage.logread import LogReader


def html(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def assert_error_page(response: httpx.Response, status: int, message: str) -> None:
    page = html(response, status)
    assert 'id="error-message"' in page and message in page
    assert f"HTTP status {status}" in page
    assert "Traceback" not in page


def test_overview(log_world: World, reader: LogReader) -> None:
    page = html(log_world.client.get("/"))
    assert f'data-size="{SIZE}"' in page and f"{SIZE} entries" in page
    assert reader.root().hex() in page
    latest = reader.latest_checkpoint()
    assert latest is not None and latest.note.splitlines()[2] in page  # the base64 root line of the note
    assert WITNESS_IN_POLICY in page and WITNESS_NOT_IN_POLICY in page
    assert "key not in the witness policy" in page
    assert re.search(r"<code>note</code></td><td class=\"num\">600</td>", page)
    for index in range(SIZE - 20, SIZE):
        assert f'href="/log/entries/{index}"' in page
    assert f'href="/log/entries/{SIZE - 21}"' not in page
    assert "2026-03-01 17:59:00 UTC" in page  # entry 599: 08:00 + 599 minutes
    assert "tenant-a" in page


def test_overview_of_an_empty_log(empty_world: World) -> None:
    page = html(empty_world.client.get("/"))
    assert 'data-size="0"' in page and "no checkpoint has been signed yet" in page


def test_entry_page_shows_a_verified_proof(log_world: World, reader: LogReader) -> None:
    page = html(log_world.client.get("/log/entries/300"))
    stored = reader.entry(300)
    assert stored.leaf_hash.hex() in page and stored.event_id in page
    assert 'class="verdict ok"' in page and "verified" in page
    for sibling in reader.inclusion_proof(300, SIZE):
        assert sibling.hex() in page
    assert "inspection note 300" in page and "&#34;n&#34;: 300" in page
    assert "This root is the root of the latest signed checkpoint" in page
    assert "2026-03-01 13:00:00 UTC" in page
    assert 'action="/log/lookup"' in page


def test_entry_page_fails_closed_on_a_tampered_leaf(empty_world: World) -> None:
    empty_world.container.ledger.record([note(i) for i in range(5)])
    with write_transaction(empty_world.container.engine) as conn:
        conn.execute(text("UPDATE log_entries SET leaf_hash = :bad WHERE idx = 2"), {"bad": bytes(32)})
    page = html(empty_world.client.get("/log/entries/2"))
    assert 'class="verdict bad"' in page and "not verified" in page
    assert "does not match the root" in page and "expected" in page and "computed" in page


def test_lookup_by_index_and_by_event_id(log_world: World) -> None:
    by_index = log_world.client.get("/log/lookup", params={"q": " 17 "}, follow_redirects=False)
    assert by_index.status_code == 303 and by_index.headers["location"] == "/log/entries/17"
    event_id = log_world.event_ids[123]
    by_id = log_world.client.get("/log/lookup", params={"q": event_id})
    assert by_id.url.path == "/log/entries/123"
    assert event_id in html(by_id)


def test_lookup_errors_are_pages(log_world: World) -> None:
    assert_error_page(log_world.client.get("/log/lookup", params={"q": "no-such-id"}), 404, "no entry with event id")
    assert_error_page(log_world.client.get("/log/lookup", params={"q": str(10**9)}), 404, f"no entry at index {10**9}")
    assert_error_page(log_world.client.get("/log/lookup", params={"q": "9" * 40}), 404, "no entry at index")
    blank = log_world.client.get("/log/lookup", params={"q": "  "})
    assert_error_page(blank, 400, "type an entry index or an event id")
    assert_error_page(log_world.client.get("/log/lookup", params={"q": "x" * 101}), 400, "query.q")


def test_checkpoints_page(log_world: World) -> None:
    page = html(log_world.client.get("/log/checkpoints"))
    for size in (1, 10, 100, 300, 600):
        assert f'<td class="num">{size}</td>' in page
    assert page.count('class="badge ok"') >= 5


def test_console_errors_are_html(log_world: World) -> None:
    assert_error_page(log_world.client.get("/no/such/page"), 404, "nothing here: /no/such/page")
    assert_error_page(log_world.client.get(f"/log/entries/{10**9}"), 404, f"no entry at index {10**9}")
    assert_error_page(log_world.client.get("/log/entries/-1"), 400, "path.index")
    assert_error_page(log_world.client.get("/log/entries/abc"), 400, "path.index")


def test_console_500_is_a_page_without_details(empty_world: World) -> None:
    with write_transaction(empty_world.container.engine) as conn:
        conn.execute(text("DROP TABLE log_checkpoints"))
    assert_error_page(empty_world.client.get("/"), 500, "internal error")


def test_static_css_is_served(log_world: World) -> None:
    response = log_world.client.get("/static/console.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]
    assert "http" not in html(log_world.client.get("/")).split("<body>")[0].replace("http-equiv", "")
