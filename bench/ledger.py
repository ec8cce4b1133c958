"""Ledger benchmark: durable append throughput, proof latency, and pymerkle 7.0.0 as the Python peer.

    .venv/bin/python bench/ledger.py            # full run (log sizes up to 10^7; about half an hour)
    .venv/bin/python bench/ledger.py --quick    # smoke run (about a minute; log sizes up to 10^5)

Prints one Rich table per section and writes ``bench/results/ledger.json`` with the machine described.
See ``bench/README.md`` for what each number means.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqlalchemy import select, text  # noqa: E402

from ledger_support import (  # noqa: E402
    ACTOR,
    TENANT,
    AppendResult,
    Plan,
    Timer,
    append_plans,
    build_progress,
    canonical_notes,
    check_notes,
    describe_machine,
    latency_us,
    load_sample,
    make_console,
    note_body,
    peak_rss_mib,
    rss_mib,
)
from ledger_tables import finalise, print_report  # noqa: E402
from reetrace.container import Container, build_container  # noqa: E402
from reetrace.events import Event  # noqa: E402
from reetrace.log.hashing import leaf_hash  # noqa: E402
from reetrace.log.tree import verify_consistency, verify_inclusion  # noqa: E402
from reetrace.settings import load_settings  # noqa: E402
from reetrace.storage.engine import read_transaction, write_transaction  # noqa: E402
from reetrace.storage.ledger import UnitOfWork, lock_state  # noqa: E402
from reetrace.storage.logread import LogReader  # noqa: E402
from reetrace.storage.tables import log_entries  # noqa: E402

RESULTS = BENCH / "results" / "ledger.json"
LAYER_RECORD = "record(): validate + canonicalise + append + project"
LAYER_SEQUENCER = "sequencer: canonical entries -> durable"
BATCHES = (1, 100, 10_000)
BUILD_BATCH = 10_000
SEED = 20_251_123


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer samples, log sizes up to 10^5")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL (its rows say 'not measured')")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON file to write (default {RESULTS})")
    return parser.parse_args(argv)


def note_event(seq: int) -> Event:
    return Event(kind="note", tenant=TENANT, actor=ACTOR, body=note_body(seq))


# -- PostgreSQL and containers ----------------------------------------------------------------------------------

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
            names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "shared_buffers",
                     "full_page_writes")
            return {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in names}
    finally:
        engine.dispose()


def open_container(tmp_root: Path, name: str, server: str | None) -> Container:
    database_url = None
    if server is not None:
        from tests.support.pgserver import create_database

        database_url = create_database(server, name)
    return build_container(load_settings(environ={}, home=tmp_root / name, database_url=database_url))


def close_container(container: Container, tmp_root: Path, name: str, server: str | None) -> None:
    container.close()
    if server is not None:
        from tests.support.pgserver import drop_database

        drop_database(server, name)
    shutil.rmtree(tmp_root / name, ignore_errors=True)


def sqlite_pragmas(container: Container) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return {"journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                "synchronous": conn.exec_driver_sql("PRAGMA synchronous").scalar(),
                "synchronous_meaning": "0=OFF 1=NORMAL 2=FULL 3=EXTRA"}


def log_size(container: Container) -> int:
    with read_transaction(container.engine) as conn:
        return LogReader(conn).size()


# -- section 1: durable append throughput ----------------------------------------------------------------------

def append_sequenced(container: Container, entries: list[tuple[bytes, str, str | None, str]]) -> None:
    """Layer (b): the sequencer below validation; commit included."""
    with write_transaction(container.engine) as conn:
        uow = UnitOfWork(container.ledger, conn, lock_state(conn))
        uow.stage_canonical(entries)
        uow.seal()


def time_appends(container: Container, layer: str, batch: int, plan: Plan, result: AppendResult) -> None:
    warm = min(batch, 1000)
    container.ledger.record([note_event(i) for i in range(warm)])  # warm-up (connections, statements), untimed
    seq, sizes = warm, 0
    while not plan.done(result.batches, result.seconds):
        events = [note_event(i) for i in range(seq, seq + batch)]
        if layer == LAYER_RECORD:
            sizes += len(container.ledger.prepare(events[0])[1]) * batch
            with Timer() as t:
                container.ledger.record(events)
        else:
            prepared = [container.ledger.prepare(e) for e in events]
            entries = [(entry, e.kind, e.tenant, e.id) for e, entry in prepared]
            sizes += sum(len(entry) for entry, *_ in entries)
            with Timer() as t:
                append_sequenced(container, entries)
        result.add(batch, t.wall, t.cpu)
        seq += batch
    result.entry_bytes_mean = sizes / result.entries
    if log_size(container) != seq:
        raise AssertionError(f"log has {log_size(container)} entries, {seq} were appended")


def section_appends(tmp_root: Path, server: str | None, quick: bool, report: dict[str, Any]) -> list[dict[str, Any]]:
    console = make_console()
    plans = append_plans(quick)
    rows: list[dict[str, Any]] = []
    for storage, url in (("SQLite", None), ("PostgreSQL", server)):
        for layer in (LAYER_RECORD, LAYER_SEQUENCER):
            for batch in BATCHES:
                result = AppendResult("reetrace", storage, layer, batch, durable=True)
                if storage == "PostgreSQL" and url is None:
                    result.note = "not measured: " + report["postgresql"]["reason"]
                    rows.append(result.as_json())
                    continue
                name = f"appends_{storage.lower()}_{'record' if layer == LAYER_RECORD else 'seq'}_{batch}"
                console.log(f"reetrace {storage}: {layer.split(':')[0]}, batches of {batch:,}")
                container = open_container(tmp_root, name, url)
                try:
                    if storage == "SQLite" and "sqlite_pragmas" not in report:
                        report["sqlite_pragmas"] = sqlite_pragmas(container)
                    time_appends(container, layer, batch, plans[batch], result)
                finally:
                    close_container(container, tmp_root, name, url)
                rows.append(result.as_json())
    return rows


# -- section 2: proofs over stored nodes -------------------------------------------------------------------------

def grow(container: Container, target: int, progress: Any, label: str) -> float:
    """Append note entries with the sequencer layer in batches of 10,000 until the log has ``target`` entries."""
    size = log_size(container)
    task = progress.add_task(label, total=target, completed=size, rate="")
    seconds = 0.0
    while size < target:
        count = min(BUILD_BATCH, target - size)
        moment, entries = canonical_notes(size, count)
        check_notes(container.ledger, size, moment, entries[0])
        with Timer() as t:
            append_sequenced(container, list(entries))
        seconds += t.wall
        size += count
        progress.update(task, completed=size, rate=f"{count / t.wall:,.0f} entries/s")
    progress.remove_task(task)
    return seconds


def entries_at(conn: Any, indices: list[int]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    unique = sorted(set(indices))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        query = select(log_entries.c.idx, log_entries.c.entry).where(log_entries.c.idx.in_(chunk))
        out.update({int(idx): bytes(entry) for idx, entry in conn.execute(query)})
    return out


def measure_inclusion(container: Container, size: int, samples: int, rng: random.Random) -> dict[str, Any]:
    gen: list[int] = []
    ver: list[int] = []
    with read_transaction(container.engine) as conn:
        reader = LogReader(conn)
        root = reader.root(size)
        indices = [rng.randrange(size) for _ in range(samples)]
        leaves = {i: leaf_hash(entry) for i, entry in entries_at(conn, indices).items()}
        for index in indices:
            t0 = time.perf_counter_ns()
            proof = reader.inclusion_proof(index, size)
            t1 = time.perf_counter_ns()
            verify_inclusion(leaves[index], index, size, proof, root)
            t2 = time.perf_counter_ns()
            gen.append(t1 - t0)
            ver.append(t2 - t1)
    return {"gen_us": latency_us(gen), "verify_us": latency_us(ver), "budget_hit": False}


def measure_consistency(container: Container, size: int, samples: int, rng: random.Random) -> dict[str, Any]:
    gen: list[int] = []
    ver: list[int] = []
    with read_transaction(container.engine) as conn:
        reader = LogReader(conn)
        for _ in range(samples):
            old = rng.randint(1, size - 1)
            new = rng.randint(old + 1, size)
            old_root, new_root = reader.root(old), reader.root(new)
            t0 = time.perf_counter_ns()
            proof = reader.consistency_proof(old, new)
            t1 = time.perf_counter_ns()
            verify_consistency(old, new, old_root, new_root, proof)
            t2 = time.perf_counter_ns()
            gen.append(t1 - t0)
            ver.append(t2 - t1)
    return {"gen_us": latency_us(gen), "verify_us": latency_us(ver), "budget_hit": False}


def disk_bytes(container: Container, storage: str) -> int:
    if storage == "SQLite":
        db = Path(container.settings.home) / "reetrace.db"
        return sum(p.stat().st_size for p in db.parent.glob("reetrace.db*"))
    with container.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def reset_peak_rss() -> bool:
    """Reset VmHWM (the peak RSS) so that it covers only the log building that follows (Linux clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cross_check_pymerkle(container: Container, size: int) -> dict[str, Any]:
    """Feed the stored entries to pymerkle: the same RFC 9162 hashing must give the same root."""
    from pymerkle import InmemoryTree

    with read_transaction(container.engine) as conn:
        ours = LogReader(conn).root(size)
        entries = entries_at(conn, list(range(size)))
    peer = InmemoryTree()
    for i in range(size):
        peer.append_entry(entries[i])
    theirs = peer.get_root()
    return {"size": size, "reetrace_root": ours.hex(), "pymerkle_root": theirs.hex(), "equal": ours == theirs}


def proofs_on(storage: str, sizes: list[int], tmp_root: Path, server: str | None, samples: int,
              report: dict[str, Any]) -> None:
    console = make_console()
    rng = random.Random(SEED)
    name = f"proofs_{storage.lower()}"
    container = open_container(tmp_root, name, server)
    report["rss_reset_ok"] = reset_peak_rss()
    try:
        with build_progress(console) as progress:
            for size in sizes:
                seconds = grow(container, size, progress, f"reetrace {storage}: building to {size:,}")
                report["growth"].append({
                    "implementation": "reetrace", "storage": storage, "size": size, "build_seconds": seconds,
                    "disk_bytes": disk_bytes(container, storage), "rss_mib": rss_mib(), "vm_hwm_mib": vm_hwm_mib(),
                    "peak_rss_mib": peak_rss_mib(), "load_1m": os.getloadavg()[0]})
                if storage == "SQLite" and size == 1000:
                    report["cross_check"] = cross_check_pymerkle(container, size)
                for proof, measure in (("inclusion", measure_inclusion), ("consistency", measure_consistency)):
                    console.log(f"reetrace {storage}: {proof} proofs at size {size:,}")
                    row = measure(container, size, samples, rng)
                    report["proofs"].append({"implementation": "reetrace", "storage": storage, "size": size,
                                             "proof": proof, **row})
        if storage == "SQLite":
            final_sqlite_size(container, report)
    finally:
        close_container(container, tmp_root, name, server)


def final_sqlite_size(container: Container, report: dict[str, Any]) -> None:
    """The largest SQLite log's file after a WAL checkpoint (everything in the main file)."""
    db = Path(container.settings.home) / "reetrace.db"
    size = log_size(container)
    container.close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = {p.name: p.stat().st_size for p in db.parent.glob("reetrace.db*")}
    report["sqlite_file"] = {"size": size, "files": files, "db_bytes": files.get("reetrace.db", 0),
                             "bytes_per_entry": files.get("reetrace.db", 0) / size}


def section_proofs(tmp_root: Path, server: str | None, quick: bool, samples: int, report: dict[str, Any]) -> None:
    sqlite_sizes = [10**3, 10**5] if quick else [10**3, 10**5, 10**6, 10**7]
    report["proofs"], report["growth"] = [], []
    proofs_on("SQLite", sqlite_sizes, tmp_root, None, samples, report)
    report["load"].append(load_sample("after SQLite proofs"))
    if server is not None:
        proofs_on("PostgreSQL", [10**3, 10**5], tmp_root, server, samples, report)
        report["load"].append(load_sample("after PostgreSQL proofs"))


# -- section 3: pymerkle, in its own process ------------------------------------------------------------------------

def section_peer(tmp_root: Path, quick: bool, samples: int) -> dict[str, Any]:
    peer_tmp = tmp_root / "pymerkle"
    peer_tmp.mkdir()
    cfg = {
        "tmp": str(peer_tmp),
        "seed": SEED,
        "samples": samples,
        "plans": {batch: (p.min_batches, p.max_batches, p.min_seconds) for batch, p in append_plans(quick).items()},
        "memory_sizes": [10**3, 10**5] if quick else [10**3, 10**5, 10**6],
        "sqlite_sizes": [10**3, 10**5] if quick else [10**3, 10**5, 10**7],
        "proof_budget_s": 10.0 if quick else 120.0,
    }
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        from ledger_peer import run_peer

        result: dict[str, Any] = pool.submit(run_peer, cfg).result()
    result["config"] = cfg
    memory_sizes = [g for g in result["growth"] if g["storage"] == "memory"]
    largest = max(memory_sizes, key=lambda g: g["size"])
    per_entry = largest["rss_growth_mib"] * 2**20 / largest["size"]
    rate = largest["size"] / largest["build_seconds"]
    result["not_measured"].append({
        "implementation": "pymerkle", "storage": "memory", "size": 10**7,
        "reason": (f"InmemoryTree keeps a Python object per node and the entry bytes in memory: at {largest['size']:,} "
                   f"entries it grew RSS by {largest['rss_growth_mib']:,.0f} MiB ({per_entry:,.0f} B/entry) and "
                   f"appended {rate:,.0f} entries/s; 10^7 would need about {per_entry * 10**7 / 2**30:,.1f} GiB and "
                   f"{10**7 / rate / 60:,.0f} min (linear extrapolation, not measured) on a shared 2-core machine; "
                   f"largest size measured: {largest['size']:,}"),
        "short": (f"impractical here: ~{per_entry * 10**7 / 2**30:,.1f} GiB RSS, ~{10**7 / rate / 60:,.0f} min to "
                  f"build (extrapolated from {largest['size']:,}, the largest measured)")})
    return result


# -- main ---------------------------------------------------------------------------------------------------------

def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = make_console()
    started = time.perf_counter()
    samples = 200 if args.quick else 1000
    tmp_root = Path(tempfile.mkdtemp(prefix="reetrace-bench-"))
    report: dict[str, Any] = {"benchmark": "ledger", "mode": "quick" if args.quick else "full",
                              "machine": describe_machine(tmp_root), "load": [load_sample("start")],
                              "parameters": {"samples_per_proof_row": samples, "seed": SEED,
                                             "append_plans": {str(b): vars(p) for b, p in
                                                              append_plans(args.quick).items()},
                                             "example_entry": canonical_notes(0, 1)[1][0][0].decode("utf-8")}}
    try:
        with postgres_server(args.no_postgres, report) as server:
            report["append_throughput"] = section_appends(tmp_root, server, args.quick, report)
            report["load"].append(load_sample("after appends"))
            section_proofs(tmp_root, server, args.quick, samples, report)
        report["pymerkle"] = section_peer(tmp_root, args.quick, samples)
        report["load"].append(load_sample("end"))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    report["runtime_s"] = time.perf_counter() - started
    finalise(report)
    write_json(args.output, report)
    print_report(console, report)
    console.print(f"wrote {args.output} (runtime {report['runtime_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
