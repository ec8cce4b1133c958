"""Fixtures shared by every test directory: backends (SQLite and a private PostgreSQL), settings, containers.

One contract suite runs on every backend through the ``backend`` fixture. PostgreSQL is a throwaway server per
xdist worker (``tests/support/pgserver.py``), started on first use; each test gets a fresh database copied from a
migrated template. Without PostgreSQL binaries those tests skip with the reason, except on CI (``CI=true``) where
they fail: a CI run that silently skipped a backend would prove nothing.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # make ``support`` importable however pytest was started
    sys.path.insert(0, str(TESTS))

from reetrace.container import Container, build_container  # noqa: E402
from reetrace.settings import Settings  # noqa: E402
from support.backends import BACKENDS, locate_shared, make_settings, unavailable  # noqa: E402
from support.pgserver import PostgresUnavailable, create_database, find_bin_dir, running_postgres  # noqa: E402

TEMPLATE_DB = "reetrace_template"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder (``REETRACE_SHARED`` or ``<repo>/../shared``); skips (fails on CI) when absent."""
    path = locate_shared()
    if not path.is_dir():
        unavailable(f"shared folder not found at {path} (set REETRACE_SHARED to the shared/ directory)")
    return path


SYSTEM_FONTS = {"fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                "fonts-dejavu-core": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}


@pytest.fixture(scope="session")
def system_fonts() -> None:
    """The fonts rendered pages are drawn with (Debian packages); skips (fails on CI) when one is absent."""
    missing = [package for package, path in SYSTEM_FONTS.items() if not Path(path).is_file()]
    if missing:
        unavailable(f"fonts not installed: {', '.join(missing)} (apt-get install {' '.join(missing)}; `make test` "
                    "installs them under CI=true or REETRACE_INSTALL_SYSTEM_DEPS=1)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A private PostgreSQL server for this worker, with a migrated template database; yields the server URL."""
    try:
        find_bin_dir()
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    with running_postgres() as url:
        _make_template(url)
        yield url


def _make_template(server_url: str) -> None:
    from reetrace.storage import migrate
    from reetrace.storage.engine import make_engine

    url = create_database(server_url, TEMPLATE_DB)
    engine = make_engine(make_settings(Path("/nonexistent-reetrace-home"), url))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template to have no connections


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """The URL of a fresh, migrated database on this worker's server."""
    return create_database(pg_server, f"t_{uuid.uuid4().hex[:16]}", template=TEMPLATE_DB)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Fresh settings on each backend: a temp home, and for PostgreSQL a fresh database."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return make_settings(tmp_path / "home", url)


@pytest.fixture
def container(backend: Settings) -> Iterator[Container]:
    c = build_container(backend)
    try:
        yield c
    finally:
        c.close()
