"""API benchmark: authenticated reads under load, on SQLite and PostgreSQL, with 1 and 2 uvicorn workers.

    .venv/bin/python bench/api.py            # full run (about 15-20 minutes)
    .venv/bin/python bench/api.py --quick    # smoke run (1-2 minutes)

Seeds a demo-like world (tenants, users, enterprises, a few thousand log entries), issues an API token, starts
``reetrace serve`` on a free port of 127.0.0.1 and loads two read endpoints with 50 concurrent clients: wrk for
the maximum throughput, an open-loop generator (``bench/api_load.py``) for a fixed rate of 500 requests/s.
Prints one Rich table per backend and writes ``bench/results/api.json`` with the machine described.
See ``bench/README.md`` for what each number means.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqlalchemy import func, select  # noqa: E402

from api_load import run_open_loop, run_wrk, write_wrk_script, wrk_version  # noqa: E402
from api_server import CpuWindow, Server, ServerFailed, connections_per_process, get, postmaster_pid  # noqa: E402
from api_tables import finalise, print_report  # noqa: E402
from ledger_support import describe_machine, load_sample, make_console  # noqa: E402
from reetrace.authz import service as authz  # noqa: E402
from reetrace.authz.passwords import Passwords  # noqa: E402
from reetrace.authz.tables import users  # noqa: E402
from reetrace.container import Container, build_container  # noqa: E402
from reetrace.demo import world  # noqa: E402
from reetrace.domains.registry.tables import enterprises  # noqa: E402
from reetrace.settings import load_settings  # noqa: E402
from reetrace.storage.engine import read_transaction  # noqa: E402
from reetrace.storage.logread import LogReader  # noqa: E402
from reetrace.storage.tables import log_entries  # noqa: E402

RESULTS = BENCH / "results" / "api.json"
SEED = 20_261_123
USER = "north.viewer"  # an enterprise group's viewer: sees group-north only, so every read is tenant-filtered
SCOPES = ["log:entry:read", "registry:enterprise:read"]
ENTRY = "GET /api/v1/log/entries/{i}"
ENTERPRISES = "GET /api/v1/registry/enterprises"
EXTRA_PACKAGES = ("fastapi", "starlette", "uvicorn", "h11", "httptools", "uvloop", "anyio", "httpx")


WARMUP_CONNECTIONS = 4  # below the connection pool's size: warms every worker without risking a pool stall
BELOW_POOL_CONNECTIONS = 10  # the diagnostic run: fewer clients than the pool's 15 connections


@dataclass(frozen=True)
class Plan:
    world_events: int
    endpoints: tuple[str, ...]
    workers: tuple[int, ...]
    modes: tuple[str, ...]  # "max" (wrk, all connections), "rate" (open loop), "max_below_pool" (diagnostic)
    warmup_s: float
    max_s: float
    rate_s: float
    rate: float
    connections: int
    timeout_s: float
    after_timeout_s: float
    full_check: bool


def make_plan(args: argparse.Namespace) -> Plan:
    workers = tuple(int(w) for w in args.workers.split(","))
    if args.quick:
        return Plan(world_events=2000, endpoints=(ENTRY,), workers=workers, modes=("max", "rate"), warmup_s=1,
                    max_s=3, rate_s=5, rate=args.rate, connections=args.connections, timeout_s=3.0,
                    after_timeout_s=2.0, full_check=False)
    return Plan(world_events=4000, endpoints=(ENTRY, ENTERPRISES), workers=workers,
                modes=("max", "rate", "max_below_pool"), warmup_s=3, max_s=20, rate_s=30, rate=args.rate,
                connections=args.connections, timeout_s=10.0, after_timeout_s=40.0, full_check=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: one endpoint, a few seconds per run")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL (its rows say 'not measured')")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try (default 1,2)")
    parser.add_argument("--rate", type=float, default=500.0, help="fixed rate in requests/s (default 500)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON file to write (default {RESULTS})")
    return parser.parse_args(argv)


# -- the world ------------------------------------------------------------------------------------------------

@dataclass
class World:
    """What the load generators need: a token, the paths it may read, what the answers must contain."""

    token: str
    token_id: str
    username: str
    tenant: str
    log_size: int
    visible_entries: list[int]
    enterprises_visible: int
    enterprises_total: int
    seed_seconds: float

    def paths(self, endpoint: str) -> list[str]:
        if endpoint == ENTRY:
            return [f"/api/v1/log/entries/{i}" for i in self.visible_entries]
        return ["/api/v1/registry/enterprises"]

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("token")
        out["visible_entries"] = len(self.visible_entries)
        return out


def seed_world(container: Container, events: int) -> World:
    """The demo's tenants and users, enterprises with permits and contacts, notes; a token for USER."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    plan = world.size_for(events)
    with container.unit_of_work() as (uow, vault):
        world.build_accounts(uow, vault, Passwords(container.settings.password_cost))
        ids = world.build_enterprises(uow, vault, rng, plan.enterprises)
    batch = []
    for event in world.notes(rng, ids, plan.notes):
        batch.append(event)
        if len(batch) == 250:
            container.ledger.record(batch)
            batch = []
    if batch:
        container.ledger.record(batch)
    with container.unit_of_work() as (uow, _):
        row = uow.conn.execute(select(users.c.user_id, users.c.tenant).where(users.c.username == USER)).one()
        token_id, token = authz.issue_token(uow, "bench", row.user_id, "api benchmark", SCOPES, days=2)
    with read_transaction(container.engine) as conn:
        visible = [int(i) for (i,) in conn.execute(select(log_entries.c.idx).where(log_entries.c.tenant == row.tenant)
                                                   .order_by(log_entries.c.idx))]
        ent_visible = conn.execute(select(func.count()).select_from(enterprises)
                                   .where(enterprises.c.tenant == row.tenant)).scalar_one()
        ent_total = conn.execute(select(func.count()).select_from(enterprises)).scalar_one()
        size = LogReader(conn).size()
    return World(token, token_id, USER, row.tenant, size, visible, int(ent_visible), int(ent_total),
                 time.perf_counter() - started)


# -- checks: every request is authenticated and answered correctly --------------------------------------------

def check_answer(world_: World, endpoint: str, path: str, status: int, body: Any) -> str | None:
    """None when the answer is right, else what is wrong."""
    if status != 200:
        return f"{path}: status {status}"
    if endpoint == ENTRY:
        index = int(path.rsplit("/", 1)[1])
        if not isinstance(body, dict) or body.get("index") != index or body.get("tenant") != world_.tenant:
            return f"{path}: wrong entry {str(body)[:200]}"
        return None
    if (not isinstance(body, dict) or body.get("total") != world_.enterprises_visible
            or len(body.get("enterprises", [])) != min(100, world_.enterprises_visible)
            or any(e.get("tenant") != world_.tenant for e in body["enterprises"])):
        return f"{path}: wrong enterprise list {str(body)[:200]}"
    return None


def preflight(port: int, world_: World, endpoint: str, paths: list[str], sample: int | None) -> dict[str, Any]:
    """Without a token and with a wrong one: 401. With the token: 200 and the right body (all paths or a sample)."""
    problems = []
    anonymous, _ = get(port, paths[0], None)
    forged, _ = get(port, paths[0], world_.token[:-4] + "AAAA")
    if anonymous != 401 or forged != 401:
        problems.append(f"unauthenticated {anonymous}, forged token {forged}: expected 401 for both")
    chosen = paths if sample is None else random.Random(SEED).sample(paths, min(sample, len(paths)))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for path in chosen:
            status, body = get(port, path, world_.token, conn=conn)
            problem = check_answer(world_, endpoint, path, status, body)
            if problem:
                problems.append(problem)
    finally:
        conn.close()
    if problems:
        raise AssertionError("pre-flight check failed:\n" + "\n".join(problems[:20]))
    return {"unauthenticated_status": anonymous, "forged_token_status": forged, "paths_checked": len(chosen)}


# -- runs ---------------------------------------------------------------------------------------------------------

@dataclass
class Backend:
    name: str
    home: Path
    database_url: str | None
    db_port: int | None
    world: World


def measured_run(backend: Backend, workers: int, endpoint: str, mode: str, plan: Plan, tmp: Path,
                 checked: set[tuple[str, str]]) -> dict[str, Any]:
    """A fresh server, pre-flight checks, a warm-up below the pool size, then one timed run (wrk or open loop).

    After the run one more request shows whether the server still answers, and how fast; errors the server
    logged while the client had already given up (a 500 after a 30 s pool wait) are added to the client's count.
    """
    from tests.support.pgserver import free_port

    console = make_console()
    paths = backend.world.paths(endpoint)
    port = free_port()
    connections = BELOW_POOL_CONNECTIONS if mode == "max_below_pool" else plan.connections
    label = f"{backend.name}, {workers} worker{'s' if workers > 1 else ''}, {endpoint}, {mode}"
    log_path = tmp / f"server-{backend.name}-{workers}-{len(checked)}-{mode}.log"
    row: dict[str, Any] = {"backend": backend.name, "workers": workers, "endpoint": endpoint, "mode": mode,
                           "connections": connections}
    server = Server(str(Path(sys.executable).with_name("reetrace")), backend.home, backend.database_url, port,
                    workers, log_path)
    try:
        server.wait_ready()
        row["worker_pids"] = server.worker_pids()
        key = (backend.name, endpoint)
        full = plan.full_check and key not in checked
        row["preflight"] = preflight(port, backend.world, endpoint, paths, None if full else 25)
        checked.add(key)
        script = tmp / f"wrk-{'entry' if endpoint == ENTRY else 'enterprises'}.lua"
        write_wrk_script(script, backend.world.token, paths, SEED)
        base = f"http://127.0.0.1:{port}"
        row["warmup"] = _brief(run_wrk(base, script, WARMUP_CONNECTIONS, plan.warmup_s, plan.timeout_s))
        logged_before = server.server_errors()
        row["load_before"] = load_sample(f"before {label}")
        console.log(f"{label}: " + (f"{plan.rate:g} requests/s" if mode == "rate" else f"wrk, {connections} conns"))
        window = CpuWindow(server.proc.pid, postmaster_pid(backend.db_port) if backend.db_port else None).start()
        spread: dict[str, Any] = {}
        sampler = threading.Timer(2.0, lambda: spread.update(
            {str(pid): n for pid, n in connections_per_process(row["worker_pids"], port).items()}))
        sampler.start()
        if mode == "rate":
            paths_file, token_file = tmp / "paths.txt", tmp / "token"
            paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
            token_file.write_text(backend.world.token, encoding="utf-8")
            result = run_open_loop(sys.executable, base, token_file, paths_file, plan.rate, plan.rate_s,
                                   connections, plan.timeout_s, SEED)
        else:
            result = run_wrk(base, script, connections, plan.max_s, plan.timeout_s)
        row["cpu"] = window.stop(result["generator_cpu_s"])
        sampler.cancel()
        row["connections_per_worker_at_2s"] = spread
        row["worker_cores"] = [row["cpu"]["server_cores_per_process"].get(pid, 0.0) for pid in row["worker_pids"]]
        row["load_after"] = load_sample(f"after {label}")
        row.update(result)
        row["after_check"] = after_check(port, backend.world, endpoint, paths, plan.after_timeout_s)
        logged_after = server.server_errors()
        row["server_log"] = {k: logged_after[k] - logged_before[k] for k in logged_after}
        row["client_errors"] = row["errors"]
        row["server_errors_unseen_by_client"] = unseen_server_errors(row)
        row["errors"] += row["server_errors_unseen_by_client"]
    except (ServerFailed, AssertionError, RuntimeError, OSError) as exc:
        row["failed"] = f"{type(exc).__name__}: {exc}"[:4000]
        console.log(f"[red]{label}: {row['failed'][:300]}[/]")
    finally:
        row["server_stop"] = server.stop()
        row["server_log_total"] = server.server_errors()
        row["server_log_tail"] = server.log_tail(1500) if row["server_log_total"]["exceptions_logged"] else ""
    return row


def unseen_server_errors(row: dict[str, Any]) -> int:
    """500s the server logged for requests the client never counted: at most the requests wrk still had in flight
    when it stopped. A 500 for a request the client had already counted (a 5xx answer, or a timeout) is not counted
    twice; the open-loop generator accounts for every request it scheduled, so this is 0 for its rows."""
    logged = row["server_log"]["exceptions_logged"]
    seen = sum(n for s, n in row["statuses"].items() if s >= 500) + row["socket_errors"].get("timeout", 0)
    return min(row.get("unanswered_at_end", 0), max(0, logged - seen))


def after_check(port: int, world_: World, endpoint: str, paths: list[str], timeout_s: float) -> dict[str, Any]:
    """After the load: is the server still answering correctly, and how fast (a server wedged by the load shows)."""
    started = time.perf_counter()
    try:
        status, body = get(port, paths[0], world_.token, timeout=timeout_s)
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - started}
    problem = check_answer(world_, endpoint, paths[0], status, body)
    return {"ok": problem is None, "problem": problem, "seconds": time.perf_counter() - started}


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in ("requests", "ok", "errors", "requests_per_s", "statuses", "socket_errors")}


# -- backends -------------------------------------------------------------------------------------------------

@contextmanager
def postgres_server(skip: bool, report: dict[str, Any]) -> Iterator[str | None]:
    """A throwaway server from the distribution's binaries (tests/support/pgserver.py), or None with the reason."""
    if skip:
        report["postgresql"] = {"measured": False, "reason": "skipped with --no-postgres"}
        yield None
        return
    from tests.support.pgserver import PostgresUnavailable, running_postgres

    with ExitStack() as stack:
        try:
            url = stack.enter_context(running_postgres())
        except (PostgresUnavailable, RuntimeError, OSError) as exc:
            report["postgresql"] = {"measured": False, "reason": f"server could not start: {exc}"}
            yield None
            return
        report["postgresql"] = {"measured": True, **postgres_settings(url)}
        yield url


def postgres_settings(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = ("server_version", "max_connections", "shared_buffers", "fsync", "synchronous_commit")
            return {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in names}
    finally:
        engine.dispose()


def prepare_backend(name: str, tmp: Path, server_url: str | None, plan: Plan) -> tuple[Backend, dict[str, Any]]:
    from sqlalchemy.engine import make_url

    database_url = None
    if server_url is not None:
        from tests.support.pgserver import create_database

        database_url = create_database(server_url, "bench_api")
    home = tmp / name.lower()
    container = build_container(load_settings({}, home=home, database_url=database_url, password_cost="low"))
    try:
        seeded = seed_world(container, plan.world_events)
        pool = container.engine.pool
        info = {"pool": type(pool).__name__, "pool_size": getattr(pool, "size", lambda: None)(),
                "max_overflow": getattr(pool, "_max_overflow", None), "pool_timeout_s": getattr(pool, "_timeout", None)}
    finally:
        container.close()
    db_port = make_url(database_url).port if database_url else None
    return Backend(name, home, database_url, db_port, seeded), {"world": seeded.as_json(), "engine": info}


def anyio_thread_tokens() -> int:
    """The size of the thread pool that runs FastAPI's sync dependencies and handlers (anyio's default limiter)."""
    import anyio
    import anyio.to_thread

    async def tokens() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    return anyio.run(tokens)


def machine_extra() -> dict[str, Any]:
    import importlib.metadata

    versions: dict[str, str | None] = {}
    for name in EXTRA_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"packages_web": versions, "wrk": wrk_version() or None, "anyio_thread_tokens": anyio_thread_tokens()}


# -- main -----------------------------------------------------------------------------------------------------------

def json_safe(value: Any) -> Any:
    """NaN and infinity become null (strict JSON); dict keys become strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(json_safe(report), indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def run_backend(name: str, tmp: Path, server_url: str | None, plan: Plan, report: dict[str, Any]) -> None:
    console = make_console()
    console.log(f"{name}: seeding the world ({plan.world_events:,} events)")
    backend, info = prepare_backend(name, tmp, server_url, plan)
    report["backends"][name] = info
    checked: set[tuple[str, str]] = set()
    for workers in plan.workers:
        for endpoint in plan.endpoints:
            for mode in plan.modes:
                if mode == "max_below_pool" and endpoint != ENTRY:
                    continue
                if mode != "rate" and not shutil.which("wrk"):
                    report["runs"].append({"backend": name, "workers": workers, "endpoint": endpoint, "mode": mode,
                                           "failed": "not measured: wrk is not installed (apt-get install wrk)"})
                    continue
                report["runs"].append(measured_run(backend, workers, endpoint, mode, plan, tmp, checked))
    report["load"].append(load_sample(f"after {name}"))


def terminate_cleanly(signum: int, _frame: Any) -> None:
    """SIGTERM (and SIGINT where a shell ignores it for background jobs) unwinds: servers and PostgreSQL stop."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, terminate_cleanly)
    plan = make_plan(args)
    console = make_console()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="reetrace-bench-api-"))
    report: dict[str, Any] = {
        "benchmark": "api", "mode": "quick" if args.quick else "full",
        "machine": {**describe_machine(tmp), **machine_extra()}, "load": [load_sample("start")],
        "parameters": {**asdict(plan), "user": USER, "token_scopes": SCOPES, "seed": SEED},
        "backends": {}, "runs": [],
    }
    try:
        run_backend("SQLite", tmp, None, plan, report)
        with postgres_server(args.no_postgres, report) as server_url:
            if server_url is not None:
                run_backend("PostgreSQL", tmp, server_url, plan, report)
        report["load"].append(load_sample("end"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["runtime_s"] = time.perf_counter() - started
    finalise(report)
    write_json(args.output, report)
    print_report(console, report)
    console.print(f"wrote {args.output} (runtime {report['runtime_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
