"""Console sessions end after a period without use (the idle timeout), and a signed-in user is not shown the
sign-in form again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from authz_world import World, build_world, world_settings
from sqlalchemy import select, update

from reetrace.authz.sessions import secret_digest
from reetrace.authz.tables import sessions
from reetrace.settings import load_settings
from reetrace.storage.engine import read_transaction, write_transaction


def last_seen(world: World, session_id: str) -> datetime | None:
    with read_transaction(world.container.engine) as conn:
        value = conn.execute(select(sessions.c.last_seen_at)
                             .where(sessions.c.session_hash == secret_digest(session_id))).scalar_one()
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


def age(world: World, session_id: str, minutes: int) -> None:
    """Pretend the session was last used ``minutes`` ago."""
    when = datetime.now(UTC) - timedelta(minutes=minutes)
    with write_transaction(world.container.engine) as conn:
        conn.execute(update(sessions).where(sessions.c.session_hash == secret_digest(session_id))
                     .values(created_at=when, last_seen_at=when))


def test_an_idle_session_ends_and_an_active_one_goes_on(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    assert world.container.settings.session_idle_minutes == 30  # the default
    client = world.session("alice")
    session_id = client.cookies["rt_session"]

    age(world, session_id, 29)  # used 29 minutes ago: still valid, and this request counts as use
    assert client.get("/", follow_redirects=False).status_code == 200
    seen = last_seen(world, session_id)
    assert seen is not None and datetime.now(UTC) - seen < timedelta(minutes=1)

    age(world, session_id, 31)  # idle for longer than the timeout
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401


def test_use_is_written_at_most_once_a_minute(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.session("anna")
    session_id = client.cookies["rt_session"]
    assert client.get("/").status_code == 200
    first = last_seen(world, session_id)
    assert client.get("/").status_code == 200
    assert last_seen(world, session_id) == first


def test_the_idle_timeout_is_a_setting(tmp_path: object) -> None:
    assert load_settings({"REETRACE_SESSION_IDLE_MINUTES": "5"}).session_idle_minutes == 5
    for bad in ("0", "-3", "ten"):
        with pytest.raises(ValueError, match="REETRACE_SESSION_IDLE_MINUTES must be a whole number"):
            load_settings({"REETRACE_SESSION_IDLE_MINUTES": bad})


def test_a_short_idle_timeout_applies(tmp_path: object) -> None:
    from pathlib import Path

    world = build_world(world_settings(Path(str(tmp_path))).with_(session_idle_minutes=2))
    try:
        client = world.session("alice")
        age(world, client.cookies["rt_session"], 3)
        assert client.get("/api/v1/me").status_code == 401
    finally:
        world.container.close()


def test_a_signed_in_user_is_sent_on_from_the_login_page(authz_world: World) -> None:
    client = authz_world.session("anna")
    page = client.get("/login", params={"next": "/audit"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/audit"
    elsewhere = client.get("/login", params={"next": "https://evil.example/"}, follow_redirects=False)
    assert elsewhere.headers["location"] == "/"
    anonymous = authz_world.client().get("/login", follow_redirects=False)
    assert anonymous.status_code == 200 and 'name="password"' in anonymous.text
