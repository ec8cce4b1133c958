"""Shared pieces of the ledger benchmark: run plans, statistics, note entries, the machine description.

Imported by ``bench/ledger.py`` and by the pymerkle worker process (``bench/ledger_peer.py``).
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

REPO = Path(__file__).resolve().parent.parent
TENANT = "tenant-a"
ACTOR = "bench"
PACKAGES = ("reetrace", "SQLAlchemy", "alembic", "psycopg", "psycopg-binary", "pydantic", "rfc8785", "cryptography",
            "rich", "pymerkle")

# A realistic small note body: a lot at a separation plant, with a Chinese site name (UTF-8 in the entry).
_ENTRY = ('{{"actor":"bench","body":{{"lot":"LOT-2025-{seq:07d}","mass_g":{mass},"material":"NdPr oxide",'
          '"operator":"shift B","seq":{seq},"site":"Baotou separation plant 3","site_zh":"包头第三分离厂"}},'
          '"id":"{id}","kind":"note","occurred_at":"{at}","subjects":[],"tenant":"tenant-a","v":1}}')


def note_body(seq: int) -> dict[str, Any]:
    return {"lot": f"LOT-2025-{seq:07d}", "site": "Baotou separation plant 3", "site_zh": "包头第三分离厂",
            "material": "NdPr oxide", "mass_g": 1_250_500 + seq % 1000, "operator": "shift B", "seq": seq}


def iso_z(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical_notes(start: int, count: int) -> tuple[datetime, list[tuple[bytes, str, str, str]]]:
    """``count`` note entries as ``(entry, kind, tenant, event_id)``, byte-for-byte what ``Ledger.prepare`` makes.

    Formatting a template is ~20x cheaper than building and canonicalising an ``Event``; ``check_notes``
    compares it with the real path, and the log-building code calls it on every batch.
    """
    from reetrace.events import new_event_id

    moment = datetime.now(UTC)
    at = iso_z(moment)
    rows = []
    for seq in range(start, start + count):
        event_id = new_event_id()
        entry = _ENTRY.format(seq=seq, mass=1_250_500 + seq % 1000, id=event_id, at=at).encode("utf-8")
        rows.append((entry, "note", TENANT, event_id))
    return moment, rows


def check_notes(ledger: Any, start: int, moment: datetime, row: tuple[bytes, str, str, str]) -> None:
    """The template entry must equal what ``Ledger.prepare`` produces for the same event."""
    from reetrace.events import Event

    event = Event(kind="note", tenant=TENANT, actor=ACTOR, body=note_body(start), id=row[3], occurred_at=moment)
    _, entry = ledger.prepare(event)
    if entry != row[0]:
        raise AssertionError(f"template entry differs from Ledger.prepare:\n{row[0]!r}\n{entry!r}")


# -- run plans and statistics ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """How many batches to time: at least ``min_batches``; then stop at ``min_seconds`` or ``max_batches``."""

    min_batches: int
    max_batches: int
    min_seconds: float = 0.0

    def done(self, batches: int, seconds: float) -> bool:
        if batches < self.min_batches:
            return False
        return batches >= self.max_batches or seconds >= self.min_seconds


def append_plans(quick: bool) -> dict[int, Plan]:
    if quick:
        return {1: Plan(200, 200), 100: Plan(20, 20), 10_000: Plan(2, 10, 0.5)}
    return {1: Plan(2000, 2000), 100: Plan(200, 200), 10_000: Plan(5, 100, 5.0)}


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_us(samples_ns: Sequence[int]) -> dict[str, float | int]:
    """Median, p99, max and first of per-call latencies, in microseconds."""
    ordered = sorted(samples_ns)
    return {"samples": len(ordered), "median": percentile(ordered, 50) / 1e3, "p99": percentile(ordered, 99) / 1e3,
            "max": ordered[-1] / 1e3, "first": samples_ns[0] / 1e3}


@dataclass
class AppendResult:
    """Throughput of one (implementation, storage, layer, batch size) configuration."""

    implementation: str
    storage: str
    layer: str
    batch: int
    durable: bool
    batches: int = 0
    entries: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    batch_ms: list[float] | None = None
    entry_bytes_mean: float = 0.0
    note: str = ""

    def add(self, entries: int, seconds: float, cpu: float) -> None:
        self.batches += 1
        self.entries += entries
        self.seconds += seconds
        self.cpu_seconds += cpu
        if self.batch_ms is None:
            self.batch_ms = []
        self.batch_ms.append(seconds * 1e3)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        times = sorted(out.pop("batch_ms") or [])
        out["entries_per_s"] = self.entries / self.seconds if self.seconds else None
        out["batch_ms_median"] = percentile(times, 50) if times else None
        out["batch_ms_p99"] = percentile(times, 99) if times else None
        out["bench_cpu_share"] = self.cpu_seconds / self.seconds if self.seconds else None
        return out


class Timer:
    """Wall and process-CPU time of a block."""

    def __enter__(self) -> Timer:
        self.cpu0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


# -- the machine ---------------------------------------------------------------------------------------------

def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load_sample(label: str) -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"at": label, "time": datetime.now(UTC).isoformat(timespec="seconds"), "load_1m": one, "load_5m": five,
            "load_15m": fifteen}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30,
                              check=False).stdout.strip()
    except OSError:
        return ""


def _mount_of(path: Path) -> dict[str, str]:
    best = {"mount": "", "device": "", "fstype": ""}
    for line in Path("/proc/mounts").read_text().splitlines():
        device, mount, fstype = line.split()[:3]
        if str(path).startswith(mount) and len(mount) >= len(best["mount"]):
            best = {"mount": mount, "device": device, "fstype": fstype}
    return best


def describe_machine(tmp_root: Path) -> dict[str, Any]:
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    dirty = [line for line in _git("status", "--porcelain").splitlines() if line]
    return {
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty_paths": len(dirty),
        "git_dirty_src": [line[3:] for line in dirty if line[3:].startswith("src/")],
        "temp_dir": str(tmp_root),
        "temp_filesystem": _mount_of(tmp_root),
    }


def make_console() -> Console:
    """A wide console when piped, so that the tables are not squeezed into 80 columns."""
    return Console() if sys.stdout.isatty() else Console(width=170)


def build_progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console)
