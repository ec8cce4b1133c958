"""Personnel benchmark: CSV import throughput, travel-policy decisions, the national aggregation, staff-list checks.

    .venv/bin/python bench/personnel.py            # full run: imports of 10k and 100k rows on SQLite and PostgreSQL
    .venv/bin/python bench/personnel.py --quick    # smoke run (about a minute): 2k and 10k rows
    .venv/bin/python bench/personnel.py --no-postgres --output /tmp/personnel.json

1. **Import** (rows/s = rows / wall time of ``import_persons`` in one unit of work, commit included): a generated
   CSV of experts (names in Chinese characters and pinyin, valid GB 11643 resident ids, expertise, education)
   into a fresh database with 40 enterprises in two group tenants; every row checked, sealed in the vault,
   recorded on the log and projected.
2. **Policy decisions** per second: ``TravelPolicy.decide`` on random facts (destinations from all tiers, secrecy
   level, watch-list and cooling-off flags, purpose), the chain derivation every submission runs.
3. **National aggregation** latency (median, p95 of repeated runs) over the largest SQLite import, read as the
   authority reads it (a ScopedReader over both group tenants).
4. **Staff-list check**: a list of 1,000 names (quick: 200; a tenth of them watch-listed persons under the Latin
   form of their names, the rest unknown) against the largest import, recorded on the log, commit included.

Prints a Rich table and writes ``bench/results/personnel.json`` (or ``--output``) with the machine described.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from rich.table import Table  # noqa: E402

from ledger_support import describe_machine, make_console  # noqa: E402
from reetrace.authz import service as authz  # noqa: E402
from reetrace.authz.models import TenantCreated  # noqa: E402
from reetrace.authz.scope import ScopedReader, TenantScope  # noqa: E402
from reetrace.container import Container, build_container  # noqa: E402
from reetrace.domains.personnel.ids import make_resident_id  # noqa: E402
from reetrace.domains.personnel.imports import import_persons  # noqa: E402
from reetrace.domains.personnel.matching import check_staff_list  # noqa: E402
from reetrace.domains.personnel.models import Caller, StaffName  # noqa: E402
from reetrace.domains.personnel.names import romanise  # noqa: E402
from reetrace.domains.personnel.policy import TravelFacts, TravelPolicy  # noqa: E402
from reetrace.domains.personnel.queries import national_aggregation  # noqa: E402
from reetrace.domains.personnel.service import watch_person  # noqa: E402
from reetrace.domains.registry.models import EnterpriseRegistered  # noqa: E402
from reetrace.domains.registry.service import register_enterprise  # noqa: E402
from reetrace.settings import load_settings  # noqa: E402
from reetrace.storage.engine import read_transaction  # noqa: E402

RESULTS = BENCH / "results" / "personnel.json"
SEED = 20_261_123
TODAY = date(2026, 11, 30)
TENANTS = ("group-north", "group-south")
SCOPE = Caller.of("bench", "group-north", "group-south")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳磊敏静浩艳涛强秀军杰娟勇丽明霞平刚桂英华玉兰红波斌宇鹏晨洋晶鑫琳欣建国志海"
EXPERTISE = ["mining", "beneficiation", "cracking", "solvent_extraction", "metal_smelting", "alloying",
             "magnet_making", "recycling", "equipment", "analysis"]
DESTINATIONS = ["SG", "TH", "IT", "BR", "AE", "HK", "MO", "US", "JP", "DE", "KR", "AU", "SY", "AF"]
PURPOSES = ["conference", "business", "academic_exchange", "training", "family", "tourism", "medical", "other"]
TARGET_IMPORT = 1_000.0  # rows/s
TARGET_AGGREGATION_MS = 200.0  # at 100,000 persons


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2k and 10k rows, 200 names")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL (its rows say 'not measured')")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON file to write (default {RESULTS})")
    return parser.parse_args(argv)


# -- the data -------------------------------------------------------------------------------------------------


def csv_rows(rng: random.Random, count: int) -> list[dict[str, str]]:
    rows = []
    start = date(1960, 1, 1)
    for n in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        born = start + timedelta(days=n // 900)  # 900 sequence numbers per birth date: every id unique
        rows.append({"person_id": f"P-B{n + 1:07d}", "enterprise_id": f"ENT-{n % 40 + 1:04d}", "name_zh": name,
                     "name_latin": romanise(name),
                     "resident_id": make_resident_id("150203", born, n % 900 + 1),
                     "secrecy_level": rng.choices(["core", "important", "general"], [10, 30, 60])[0],
                     "post": "Process engineer", "hired_on": "2018-03-01",
                     "expertise": ";".join(rng.sample(EXPERTISE, rng.choice((1, 2, 3)))),
                     "education": "MSc, Jiangxi University of Science and Technology"})
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def fresh_container(home: Path, database_url: str | None) -> Container:
    c = build_container(load_settings({}, home=home, database_url=database_url, password_cost="low"))
    with c.unit_of_work() as (uow, _):
        for tenant in ("mofcom", *TENANTS):
            authz.create_tenant(uow, "bench", TenantCreated(tenant_id=tenant, name=tenant,
                                                            kind="authority" if tenant == "mofcom" else "group"))
        for tenant in TENANTS:
            authz.grant_supervision(uow, "bench", "mofcom", tenant)
        for n in range(40):
            register_enterprise(uow, TENANTS[n % 2], "bench", EnterpriseRegistered(
                enterprise_id=f"ENT-{n + 1:04d}", name=f"Bench Rare Earth {n + 1}", role="separation",
                province=["Inner Mongolia", "Jiangxi", "Sichuan", "Guangdong"][n % 4], country="CN"))
    return c


# -- the measurements -------------------------------------------------------------------------------------------


def measure_import(home: Path, database_url: str | None, rows: list[dict[str, str]]) -> tuple[Container, float]:
    """A fresh database, then the import of ``rows`` timed; returns the (open) container and the seconds."""
    c = fresh_container(home, database_url)
    data = to_csv(rows)
    started = time.perf_counter()
    with c.unit_of_work() as (uow, vault):
        report = import_persons(uow, vault, SCOPE, data, "bench.csv", today=TODAY)
    seconds = time.perf_counter() - started
    assert report.persons == len(rows), report
    return c, seconds


def measure_policy(count: int) -> dict[str, Any]:
    policy = TravelPolicy.default()
    rng = random.Random(SEED)
    facts = [TravelFacts(destinations=tuple(rng.sample(DESTINATIONS, rng.choice((1, 1, 2, 3)))),
                         secrecy_level=rng.choice(["core", "important", "general"]),
                         watch_listed=rng.random() < 0.05, in_cooling_off=rng.random() < 0.03,
                         purpose=rng.choice(PURPOSES)) for _ in range(count)]
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for f in facts:
        decision = policy.decide(f)
        outcomes[decision.rule_id] = outcomes.get(decision.rule_id, 0) + 1
    seconds = time.perf_counter() - started
    return {"decisions": count, "seconds": seconds, "decisions_per_s": count / seconds, "rules_hit": outcomes}


def measure_aggregation(c: Container, repeats: int) -> dict[str, Any]:
    scope = TenantScope(frozenset({"mofcom", *TENANTS}), system=True)
    times, total = [], 0
    with read_transaction(c.engine) as conn:
        national_aggregation(ScopedReader(conn, scope))  # warm the cache once
        for _ in range(repeats):
            started = time.perf_counter()
            total = national_aggregation(ScopedReader(conn, scope)).total
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"persons": total, "repeats": repeats, "median_ms": statistics.median(times),
            "p95_ms": times[min(len(times) - 1, round(0.95 * len(times)) - 1)], "max_ms": times[-1]}


def measure_staff_list(c: Container, rows: list[dict[str, str]], names: int) -> dict[str, Any]:
    """Watch-list the first tenth of ``names`` persons, then check a list naming them (Latin, given name first)
    among unknown names."""
    watched = rows[:names // 10]
    with c.unit_of_work() as (uow, _):
        for row in watched:
            watch_person(uow, SCOPE, row["person_id"], "bench", today=TODAY)
    staff = [StaffName(name_latin=" ".join(reversed(r["name_latin"].split())), row=n + 2)
             for n, r in enumerate(watched)]
    staff += [StaffName(name_latin=f"Unknown Person{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}", row=n + 2)
              for n in range(len(staff), names)]
    started = time.perf_counter()
    with c.unit_of_work() as (uow, vault):
        matches = check_staff_list(uow, vault, SCOPE, staff, "Bench Magnetics GmbH", "DE", today=TODAY)
    seconds = time.perf_counter() - started
    found = {m.person_id for m in matches}
    assert {r["person_id"] for r in watched} <= found, "a watch-listed person on the list was not found"
    return {"names": names, "persons": len(rows), "watch_listed": len(watched), "matches": len(matches),
            "seconds": seconds, "names_per_s": names / seconds}


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
        report["postgresql"] = {"measured": True}
        yield url


def run_imports(tmp: Path, sizes: list[int], server: str | None, report: dict[str, Any],
                rows: list[dict[str, str]]) -> Container:
    """Every import size on SQLite (and PostgreSQL); returns the SQLite container of the largest import."""
    console = make_console()
    largest: Container | None = None
    for backend in ("SQLite", "PostgreSQL"):
        if backend == "PostgreSQL" and server is None:
            continue
        for size in sizes:
            url = None
            if backend == "PostgreSQL":
                from tests.support.pgserver import create_database

                url = create_database(str(server), f"bench_personnel_{size}")
            console.log(f"{backend}: importing {size:,} rows")
            c, seconds = measure_import(tmp / f"{backend.lower()}-{size}", url, rows[:size])
            report["imports"].append({"backend": backend, "rows": size, "seconds": seconds,
                                      "rows_per_s": size / seconds})
            if backend == "SQLite" and size == sizes[-1]:
                largest = c
            else:
                c.close()
    assert largest is not None
    return largest


def print_report(report: dict[str, Any]) -> None:
    console = make_console()
    table = Table(title="personnel benchmark", show_lines=False)
    for column in ("measure", "backend", "size", "result", "target", "verdict"):
        table.add_column(column)
    for row in report["imports"]:
        table.add_row("CSV import", row["backend"], f"{row['rows']:,} rows", f"{row['rows_per_s']:,.0f} rows/s",
                      f">= {TARGET_IMPORT:,.0f} rows/s", _verdict(row["rows_per_s"] >= TARGET_IMPORT))
    if not report["postgresql"]["measured"]:
        table.add_row("CSV import", "PostgreSQL", "-", "not measured", report["postgresql"]["reason"], "")
    p = report["policy"]
    table.add_row("policy decisions", "-", f"{p['decisions']:,}", f"{p['decisions_per_s']:,.0f} decisions/s", "",
                  "")
    a = report["aggregation"]
    table.add_row("national aggregation", "SQLite", f"{a['persons']:,} persons",
                  f"median {a['median_ms']:.1f} ms, p95 {a['p95_ms']:.1f} ms",
                  f"< {TARGET_AGGREGATION_MS:.0f} ms at 100,000",
                  _verdict(a["p95_ms"] < TARGET_AGGREGATION_MS) if a["persons"] >= 100_000 else "(smaller)")
    s = report["staff_list"]
    table.add_row("staff-list check", "SQLite", f"{s['names']:,} names vs {s['persons']:,}",
                  f"{s['seconds'] * 1000:,.0f} ms ({s['matches']} matches)", "", "")
    console.print(table)


def _verdict(ok: bool) -> str:
    return "[green]meets[/]" if ok else "[red]misses[/]"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [2_000, 10_000] if args.quick else [10_000, 100_000]
    names = 200 if args.quick else 1_000
    report: dict[str, Any] = {"benchmark": "personnel", "quick": args.quick, "imports": [],
                              "targets": {"import_rows_per_s": TARGET_IMPORT,
                                          "aggregation_ms_at_100k": TARGET_AGGREGATION_MS}}
    rows = csv_rows(random.Random(SEED), sizes[-1])
    with tempfile.TemporaryDirectory(prefix="reetrace-bench-personnel-") as tmp:
        report["machine"] = describe_machine(Path(tmp))
        with postgres_server(args.no_postgres, report) as server:
            largest = run_imports(Path(tmp), sizes, server, report, rows)
        try:
            report["policy"] = measure_policy(20_000 if args.quick else 200_000)
            report["aggregation"] = measure_aggregation(largest, 10 if args.quick else 30)
            report["staff_list"] = measure_staff_list(largest, rows, names)
        finally:
            largest.close()
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.output.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp_out, args.output)
    make_console().print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
