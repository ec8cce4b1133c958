"""A throwaway PostgreSQL server for tests and benchmarks, from the distribution's own binaries.

``running_postgres()`` runs ``initdb`` in a temporary directory, starts the server on a free port of 127.0.0.1
(never the system server on 5432), yields its URL and removes everything afterwards. When run as root it runs
the server as the ``postgres`` system user (initdb refuses root). fsync is left on: the crash tests rely on it.

No pytest imports here: bench scripts use it too::

    from support.pgserver import running_postgres, create_database
    with running_postgres() as url:
        db_url = create_database(url, "bench")
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

SERVER_USER = "postgres"
BINARIES = ("initdb", "pg_ctl")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed (or the server user is missing)."""


def _version_key(path: str) -> tuple[int, ...]:
    parts = Path(path).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def find_bin_dir() -> Path:
    """``REETRACE_PG_BINDIR`` if set; else the newest ``/usr/lib/postgresql/<v>/bin`` holding initdb and pg_ctl;
    else the directory of those on PATH."""
    override = os.environ.get("REETRACE_PG_BINDIR")
    if override:
        if all(os.access(Path(override, name), os.X_OK) for name in BINARIES):
            return Path(override)
        raise PostgresUnavailable(f"REETRACE_PG_BINDIR={override} holds no executable initdb and pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for directory in candidates:
        if all(os.access(Path(directory, name), os.X_OK) for name in BINARIES):
            return Path(directory)
    found = [shutil.which(name) for name in BINARIES]
    if all(found):
        return Path(os.path.realpath(str(found[0]))).parent
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
                              "or on PATH; install the postgresql package")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix (and uid/gid to chown to) that runs a binary as a non-root user."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL as") \
            from None
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", SERVER_USER, "--"], user.pw_uid, user.pw_gid


def _run(cmd: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _fail(what: str, proc: subprocess.CompletedProcess[str], log: Path | None = None) -> RuntimeError:
    tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    return RuntimeError(f"{what} failed with exit code {proc.returncode}:\n{proc.stdout}\n{proc.stderr}\n{tail}")


@contextlib.contextmanager
def running_postgres(*, attempts: int = 3) -> Iterator[str]:
    """Start a private server; yield ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``; stop and delete it."""
    bindir = find_bin_dir()
    prefix, uid, gid = _as_server_user()
    base = Path(tempfile.mkdtemp(prefix="reetrace-pg-"))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    try:
        sockets.mkdir()
        if uid is not None and gid is not None:
            for path in (base, sockets):
                os.chown(path, uid, gid)
        init = _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                     "-E", "UTF8", "--locale=C.UTF-8"], cwd=base)
        if init.returncode != 0:
            raise _fail("initdb", init)
        port = _start(prefix, bindir, base, data, sockets, log, attempts)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            # The data directory is deleted next: skip the shutdown checkpoint (seconds of fsync) with "immediate".
            _run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                 cwd=base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(prefix: list[str], bindir: Path, base: Path, data: Path, sockets: Path, log: Path, attempts: int) -> int:
    """Start on a free port; another process may grab the port between probe and bind, so retry a few times."""
    last: subprocess.CompletedProcess[str] | None = None
    for _ in range(attempts):
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c max_connections=200"
        last = _run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
                     "-t", "60", "start"], cwd=base)
        if last.returncode == 0:
            return port
    assert last is not None
    raise _fail("pg_ctl start", last, log)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` (optionally copied from ``template``) on the server of ``url``; return its URL."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name must be letters, digits and underscores, got {name!r}")
    if template is not None and not template.replace("_", "").isalnum():
        raise ValueError(f"template name must be letters, digits and underscores, got {template!r}")
    statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":  # a quick manual check: start, print the URL and the server version, stop
    with running_postgres() as server_url:
        with psycopg.connect(_libpq_url(server_url)) as check:
            row = check.execute("SELECT version()").fetchone()
        print(server_url, row[0] if row else "")
