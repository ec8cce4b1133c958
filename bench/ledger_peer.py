"""The Python peer: the same Merkle operations with pymerkle 7.0.0 (GPL-3.0+, a benchmark peer only).

Runs in its own process (``bench/ledger.py`` starts it) so that its memory use does not hide reetrace's flat
memory, and so that its peak RSS is measured on its own. pymerkle's indices are 1-based; its leaf and node
hashes are RFC 9162's (``security=True``), so it hashes the same entries into the same roots.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

from ledger_support import (
    AppendResult,
    Plan,
    Timer,
    build_progress,
    canonical_notes,
    latency_us,
    make_console,
    peak_rss_mib,
    rss_mib,
)

BUILD_BATCH = 10_000


def _new_tree(storage: str, path: Path) -> Any:
    from pymerkle import InmemoryTree, SqliteTree

    return InmemoryTree() if storage == "memory" else SqliteTree(str(path))


def _entries(start: int, count: int) -> list[bytes]:
    return [row[0] for row in canonical_notes(start, count)[1]]


def _appends(storage: str, batch: int, plan: Plan, tmp: Path) -> dict[str, Any]:
    tree = _new_tree(storage, tmp / f"appends-{batch}.db")
    layer = "append_entry" if batch == 1 else "append_entries"
    result = AppendResult("pymerkle", "SQLite (own file)" if storage == "sqlite" else "memory", layer, batch,
                          durable=storage == "sqlite")
    seq = 0
    tree.append_entries(_entries(seq, min(batch, 1000)))  # warm-up, untimed
    seq += min(batch, 1000)
    sizes = 0
    while not plan.done(result.batches, result.seconds):
        entries = _entries(seq, batch)
        sizes += sum(len(e) for e in entries)
        with Timer() as t:
            if batch == 1:
                tree.append_entry(entries[0])
            else:
                tree.append_entries(entries)
        result.add(batch, t.wall, t.cpu)
        seq += batch
    result.entry_bytes_mean = sizes / result.entries
    if storage == "sqlite":
        tree.close()
    return result.as_json()


def _grow(tree: Any, target: int, progress: Any, label: str) -> float:
    size = tree.get_size()
    task = progress.add_task(label, total=target, completed=size, rate="")
    seconds = 0.0
    while size < target:
        count = min(BUILD_BATCH, target - size)
        entries = _entries(size, count)
        with Timer() as t:
            tree.append_entries(entries)
        seconds += t.wall
        size += count
        progress.update(task, completed=size, rate=f"{count / t.wall:,.0f} entries/s")
    progress.remove_task(task)
    return seconds


def _inclusion(tree: Any, size: int, samples: int, budget: float, rng: random.Random) -> dict[str, Any]:
    from pymerkle import verify_inclusion

    root = tree.get_root(size)
    gen: list[int] = []
    ver: list[int] = []
    start = time.perf_counter()
    while len(gen) < samples and time.perf_counter() - start < budget:
        index = rng.randint(1, size)
        base = tree.get_leaf(index)
        t0 = time.perf_counter_ns()
        proof = tree.prove_inclusion(index, size)
        t1 = time.perf_counter_ns()
        verify_inclusion(base, root, proof, index=index, size=size)
        t2 = time.perf_counter_ns()
        gen.append(t1 - t0)
        ver.append(t2 - t1)
    return {"gen_us": latency_us(gen), "verify_us": latency_us(ver), "budget_hit": len(gen) < samples,
            "seconds": time.perf_counter() - start}


def _consistency(tree: Any, size: int, samples: int, budget: float, rng: random.Random) -> dict[str, Any]:
    from pymerkle import verify_consistency

    gen: list[int] = []
    ver: list[int] = []
    start = time.perf_counter()
    while len(gen) < samples and time.perf_counter() - start < budget:
        old = rng.randint(1, size - 1)
        new = rng.randint(old + 1, size)
        old_root, new_root = tree.get_root(old), tree.get_root(new)
        t0 = time.perf_counter_ns()
        proof = tree.prove_consistency(old, new)
        t1 = time.perf_counter_ns()
        verify_consistency(old_root, new_root, proof, prior_size=old, later_size=new)
        t2 = time.perf_counter_ns()
        gen.append(t1 - t0)
        ver.append(t2 - t1)
    return {"gen_us": latency_us(gen), "verify_us": latency_us(ver), "budget_hit": len(gen) < samples,
            "seconds": time.perf_counter() - start}


def _proofs(storage: str, sizes: list[int], cfg: dict[str, Any], out: dict[str, Any]) -> None:
    console = make_console()
    rng = random.Random(cfg["seed"])
    path = Path(cfg["tmp"]) / "proofs.db"
    rss_before = rss_mib()
    tree = _new_tree(storage, path)
    label = "SQLite (own file)" if storage == "sqlite" else "memory"
    with build_progress(console) as progress:
        for size in sizes:
            seconds = _grow(tree, size, progress, f"pymerkle {label}: building to {size:,}")
            growth = {"implementation": "pymerkle", "storage": label, "size": size, "build_seconds": seconds,
                      "rss_mib": rss_mib(), "rss_growth_mib": rss_mib() - rss_before, "peak_rss_mib": peak_rss_mib()}
            if storage == "sqlite":
                growth["disk_bytes"] = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
            out["growth"].append(growth)
            for name, measure in (("inclusion", _inclusion), ("consistency", _consistency)):
                console.log(f"pymerkle {label}: {name} proofs at size {size:,}")
                row = measure(tree, size, cfg["samples"], cfg["proof_budget_s"], rng)
                out["proofs"].append({"implementation": "pymerkle", "storage": label, "size": size, "proof": name,
                                      **row})
    if storage == "sqlite":
        out["sqlite_pragmas"] = {"journal_mode": tree.con.execute("PRAGMA journal_mode").fetchone(),
                                 "synchronous": tree.con.execute("PRAGMA synchronous").fetchone()}
        out["subroot_cache"] = {"threshold": tree.threshold, "capacity_bytes": tree.capacity,
                                "hits": tree.hits, "misses": tree.misses}
        tree.close()
        for p in path.parent.glob(path.name + "*"):
            p.unlink()


def run_peer(cfg: dict[str, Any]) -> dict[str, Any]:
    """Entry point of the worker process: append throughput, then proof latency, for both pymerkle trees."""
    import pymerkle

    console = make_console()
    out: dict[str, Any] = {"version": pymerkle.__version__, "license": "GPL-3.0-or-later",
                           "append_throughput": [], "proofs": [], "growth": [], "not_measured": []}
    tmp = Path(cfg["tmp"])
    plans = {int(k): Plan(*v) for k, v in cfg["plans"].items()}
    for storage in ("memory", "sqlite"):
        for batch, plan in plans.items():
            console.log(f"pymerkle {storage}: appends in batches of {batch:,}")
            out["append_throughput"].append(_appends(storage, batch, plan, tmp))
            for p in tmp.glob("appends-*"):
                p.unlink()
    _proofs("memory", cfg["memory_sizes"], cfg, out)
    _proofs("sqlite", cfg["sqlite_sizes"], cfg, out)
    out["peak_rss_mib"] = peak_rss_mib()
    out["pid"] = os.getpid()
    return out
