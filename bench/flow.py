"""Product-flow benchmark: capture throughput, trace latency at 10^4..10^6 lots, monthly mass balance, certificates.

    .venv/bin/python bench/flow.py            # full run (lot graphs up to 10^6 lots on SQLite and PostgreSQL)
    .venv/bin/python bench/flow.py --quick    # smoke run (graphs of 10^4 and 10^5 lots; PostgreSQL at 10^4)

Sections:

- capture: EPCIS events through ``flow.service.capture`` (validation, CBV 2.0 event hash, lot checks, mass balance,
  one log entry per event, projections), one unit of work (one commit, one signed checkpoint) per document; events/s
  in documents of 1,000 events (an EPCIS document commonly carries hundreds to thousands) and of 70 events (ten
  chains), each run into a fresh database. Documents of 200 events or more have their hashes and canonical JSON
  computed by the flow helper process (``reetrace.domains.flow.digests``), started and ready before timing as in a
  server that has started; the 1,000-event documents are also captured without it. The three configurations
  alternate five times (median reported, every run listed); chains run on from one document to the next (lots
  created in one are used in the next). Then the first document again: every event recognised as a duplicate.
- growth: six successive captures of the same size into one database (helper on): how capture slows as the
  database grows.
- traces: a synthetic lot graph written straight into the read tables (``flow_lots``, ``flow_lot_links``,
  ``flow_shipments``, ``flow_balances``; the traces read only these): ore -> concentrate (2 ores) -> mixed carbonate
  (4 concentrates) -> oxide -> metal (2 oxides) -> alloy (2 metals) -> magnet (3 alloys), inputs drawn at random
  from the previous layer, every magnet shipped. Backward trace from random magnets, forward trace from random ores;
  latency per trace (target: under 1 s at 10^6 lots), and the lots each trace reached.
- mass balance: ``monthly_balances`` for one enterprise and month in the same graph.
- certificates: build (genealogy + log proofs against the latest checkpoint) and offline verify, for a magnet of
  one chain (5 steps) and a magnet blended from 20 chains.

Writes ``bench/results/flow.json`` (``flow-quick.json`` with --quick) with the machine described.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH), str(REPO / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from rich.table import Table  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from ledger import close_container, open_container, postgres_server, write_json  # noqa: E402
from ledger_support import describe_machine, latency_us, load_sample, make_console  # noqa: E402
from reetrace.container import Container  # noqa: E402
from reetrace.domains.flow import certificates, genealogy, queries  # noqa: E402
from reetrace.domains.flow.digests import HELPER  # noqa: E402
from reetrace.domains.flow.service import EventInput, capture  # noqa: E402
from reetrace.domains.flow.tables import balances, lot_links, lots, shipments  # noqa: E402
from reetrace.domains.personnel.models import Caller  # noqa: E402
from reetrace.domains.registry.models import EnterpriseRegistered  # noqa: E402
from reetrace.domains.registry.service import register_enterprise  # noqa: E402
from reetrace.storage.engine import read_transaction, write_transaction  # noqa: E402

SEED = 20_261_207
TENANT, ENTERPRISE = "bench", "ENT-BENCH"
CALLER = Caller.of("bench", TENANT)
LAYERS = (("ore", 0.30, 0), ("concentrate", 0.15, 2), ("mixed_carbonate", 0.10, 4), ("separated_oxide", 0.15, 1),
          ("metal", 0.10, 2), ("alloy", 0.10, 2), ("magnet", 0.10, 3))  # product, share of lots, inputs per lot
CHUNK = 20_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: graphs of 10^4 and 10^5 lots")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default bench/results/flow.json)")
    return parser.parse_args(argv)


# -- events of real chains ------------------------------------------------------------------------------------------

def _q(name: str, kg: float) -> dict[str, Any]:
    return {"epcClass": "urn:reetrace:lot:" + name, "quantity": kg, "uom": "KGM"}


def _m(name: str, product: str, reo: float, element: str | None = None, **shares: float) -> dict[str, Any]:
    out: dict[str, Any] = {"lot": "urn:reetrace:lot:" + name, "productClass": product, "reoContent": reo,
                           "elementDistribution": shares}
    if element:
        out["element"] = element
    return out


def _event(kind: str, day: int, **fields: Any) -> dict[str, Any]:
    base = {"type": kind, "eventTime": f"2026-03-{day:02d}T08:00:00+08:00", "eventTimeZoneOffset": "+08:00"}
    return {**base, **fields}


def chain_events(i: int) -> list[dict[str, Any]]:
    """Seven events of one chain (two concentrates to a magnet shipped twice), lots suffixed with ``i``."""
    a, b, mix, dy, nd, mag = (f"{p}-{i}" for p in ("CA", "CB", "MIX", "DY", "ND", "MAG"))
    create = [_event("ObjectEvent", 1, action="ADD", bizStep="commissioning", quantityList=[_q(n, kg)],
                     **{"reetrace:processStep": "mining",
                        "ilmd": {"reetrace:lotMasterData": [_m(n, "concentrate", 0.5, Nd=sh, Dy=1 - sh)]}})
              for n, kg, sh in ((a, 600, 0.8), (b, 400, 0.9))]

    def transform(day: int, step: str, ins: list[tuple[str, float]], outs: list[tuple[str, float, Any]]) -> Any:
        return _event("TransformationEvent", day, bizStep="commissioning", inputQuantityList=[_q(n, k) for n, k in ins],
                      outputQuantityList=[_q(n, k) for n, k, _ in outs],
                      **{"reetrace:processStep": step, "ilmd": {"reetrace:lotMasterData": [m for _, _, m in outs]}})

    def ship(kg: float, party: str) -> Any:
        return _event("ObjectEvent", 20, action="OBSERVE", bizStep="shipping", quantityList=[_q(mag, kg)],
                      destinationList=[{"type": "owning_party", "destination": f"urn:reetrace:party:{party}"}])

    return [*create,
            transform(5, "cracking", [(a, 600), (b, 400)], [(mix, 500, _m(mix, "mixed_carbonate", 0.98, Nd=0.84,
                                                                            Dy=0.16))]),
            transform(6, "solvent_extraction", [(mix, 500)], [(dy, 78, _m(dy, "separated_oxide", 0.995, "Dy")),
                                                             (nd, 410, _m(nd, "separated_oxide", 0.995, "Nd"))]),
            transform(7, "magnet_sintering", [(nd, 410)], [(mag, 1300, _m(mag, "magnet", 0.31, Nd=1.0))]),
            ship(800, f"BUYER-{i % 50}"), ship(500, f"BUYER-{(i + 7) % 50}")]


def setup_enterprise(container: Container) -> None:
    with container.unit_of_work() as (uow, _):
        register_enterprise(uow, TENANT, "bench", EnterpriseRegistered(
            enterprise_id=ENTERPRISE, name="Bench Magnet Works", role="magnet", province="Jiangxi", country="CN"))


CAPTURE_RUNS = (("1000", 1_000, True), ("1000-no-helper", 1_000, False), ("70", 70, True))
REPEATS = 5
GROWTH_RUNS = 6


def _capture_run(container: Container, first: int, chains: int, batch: int) -> dict[str, Any]:
    """Capture chains ``first`` .. ``first + chains - 1`` in documents of ``batch`` events, then the first document
    again (every event a duplicate)."""
    flat = [e for i in range(first, first + chains) for e in chain_events(i)]
    docs = [[EventInput(f"event[{k}]", e) for k, e in enumerate(flat[s:s + batch])] for s in range(0, len(flat), batch)]
    helped_before, sent_before = HELPER.helped, HELPER.events
    cpu, started = time.process_time(), time.perf_counter()
    stored = 0
    for doc in docs:
        with container.unit_of_work() as (uow, _):
            stored += capture(uow, CALLER, ENTERPRISE, doc).stored
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    again = time.perf_counter()
    with container.unit_of_work() as (uow, _):
        duplicates = capture(uow, CALLER, ENTERPRISE, docs[0]).duplicates
    resubmission = time.perf_counter() - again
    sent = HELPER.events - sent_before
    return {"events": stored, "documents": len(docs), "seconds": seconds, "events_per_s": stored / seconds,
            "cpu_s": cpu, "batch": batch, "helper": sent > 0,
            "helper_share": (HELPER.helped - helped_before) / sent if sent else 0.0,
            "resubmission_s": resubmission, "duplicates_recognised": duplicates}


def section_capture(tmp_root: Path, name: str, server: str | None, chains: int) -> dict[str, Any]:
    """Capture throughput per document size, each run into a database of its own (a fresh one: see
    ``section_growth`` for a growing one), with the flow helper process (ready, as in a server that has started)
    and, for the large documents, without it (``HELPER.enabled = False``). The configurations alternate,
    ``REPEATS`` times, so that each sees the machine alike; the median run is reported, with every run's rate."""
    ready = HELPER.start(wait=60.0)
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in CAPTURE_RUNS}
    for rep in range(REPEATS):
        for label, batch, helper in CAPTURE_RUNS:
            database = f"capture_{name}_{rep}_{label.replace('-', '_')}"
            container = open_container(tmp_root, database, server)
            HELPER.enabled = helper and ready
            try:
                setup_enterprise(container)
                runs[label].append(_capture_run(container, 0, chains, batch))
            finally:
                HELPER.enabled = None
                close_container(container, tmp_root, database, server)
    out: dict[str, Any] = {"helper_ready": ready}
    for label, results in runs.items():
        median = sorted(results, key=lambda r: r["events_per_s"])[len(results) // 2]
        out[label] = {**median, "runs_events_per_s": [round(r["events_per_s"]) for r in results]}
    return out


def section_growth(container: Container, chains: int) -> dict[str, Any]:
    """Successive runs of ``chains`` chains in 1,000-event documents (helper on) into one database: how capture
    slows as the database grows (its random-keyed indexes, e.g. the event hash, dirty more pages per commit)."""
    HELPER.start(wait=60.0)
    runs = []
    for n in range(GROWTH_RUNS):
        run = _capture_run(container, n * chains, chains, 1_000)
        runs.append({"events_before": n * chains * 7, "events_per_s": run["events_per_s"], "cpu_s": run["cpu_s"]})
    return {"runs": runs}


def section_certificates(container: Container, chains: int) -> dict[str, Any]:
    blend = [EventInput("blend", _event("TransformationEvent", 9, bizStep="commissioning",
                                        inputQuantityList=[_q(f"ND-{i}", 410) for i in range(20)],
                                        outputQuantityList=[_q("MAG-BLEND", 26_000)],
                                        **{"reetrace:processStep": "magnet_sintering",
                                           "ilmd": {"reetrace:lotMasterData": [_m("MAG-BLEND", "magnet", 0.31,
                                                                                  Nd=1.0)]}}))]
    with container.unit_of_work() as (uow, _):
        capture(uow, CALLER, ENTERPRISE, blend)
    out = {}
    for label, lot in (("one chain", f"MAG-{chains - 1}"), ("20 chains blended", "MAG-BLEND")):
        build, verify, size = [], [], 0
        for _ in range(20):
            t0 = time.perf_counter_ns()
            with read_transaction(container.engine) as conn:
                cert = certificates.build_certificate(conn, "urn:reetrace:lot:" + lot)
            text = certificates.certificate_json(cert)
            t1 = time.perf_counter_ns()
            certificates.verify_certificate(text, container.verifier.vkey)
            t2 = time.perf_counter_ns()
            build.append(t1 - t0)
            verify.append(t2 - t1)
            size = len(text)
        out[label] = {"steps": len(cert.steps), "entries": len(cert.entries), "json_bytes": size,
                      "build_us": latency_us(build), "verify_us": latency_us(verify)}
    return out


# -- the synthetic lot graph -----------------------------------------------------------------------------------------

def fill_graph(container: Container, total: int, rng: random.Random) -> dict[str, list[str]]:
    layers: dict[str, list[str]] = {}
    previous: list[str] = []
    serial = itertools.count()  # each transformation's stand-in log index
    with write_transaction(container.engine) as conn:
        for depth, (product, share, fan_in) in enumerate(LAYERS):
            ids = [f"urn:reetrace:lot:G{depth}-{n}" for n in range(max(1, int(total * share)))]
            rows = [{"lot_id": lot, "tenant": TENANT, "enterprise_id": ENTERPRISE, "product_class": product,
                     "element": "Nd" if product in ("separated_oxide", "metal") else None, "reo_content": 0.5,
                     "distribution": '{"Nd": 1.0}', "quantity_kg": 1000.0, "process_step": None,
                     "biz_location": None, "event_hash": f"h-{lot}", "entry_idx": 0} for lot in ids]
            links, bal = [], []
            for lot in ids if fan_in else ():
                entry = next(serial)
                parents = {rng.choice(previous) for _ in range(fan_in)}
                links += [{"child_lot": lot, "parent_lot": p, "event_hash": f"h-{lot}", "input_kg": 1000.0,
                           "share": 1 / len(parents)} for p in parents]
                bal += [{"event_hash": f"h-{lot}", "element": el, "tenant": TENANT, "enterprise_id": ENTERPRISE,
                         "month": f"2026-{rng.randint(1, 12):02d}", "process_step": product, "in_kg": 500.0,
                         "out_kg": 480.0, "min_yield": 0.9, "max_yield": 1.0, "within": True,
                         "entry_idx": entry} for el in ("Nd", "Dy")]
            for table, data in ((lots, rows), (lot_links, links), (balances, bal)):
                for start in range(0, len(data), CHUNK):
                    conn.execute(insert(table), data[start:start + CHUNK])
            layers[product] = previous = ids
        ships = [{"event_hash": f"s-{lot}", "lot_id": lot, "party": f"urn:reetrace:party:C{rng.randint(0, 999)}",
                  "tenant": TENANT, "enterprise_id": ENTERPRISE, "quantity_kg": 1000.0, "end_user": None,
                  "event_time": "2026-03-20T00:00:00.000Z", "entry_idx": n} for n, lot in enumerate(previous)]
        for start in range(0, len(ships), CHUNK):
            conn.execute(insert(shipments), ships[start:start + CHUNK])
    return layers


def time_traces(container: Container, layers: dict[str, list[str]], rng: random.Random, samples: int) -> Any:
    out: dict[str, Any] = {}
    for direction, pool in (("backward", layers["magnet"]), ("forward", layers["ore"])):
        times, reached = [], []
        for lot in rng.sample(pool, min(samples, len(pool))):
            t0 = time.perf_counter_ns()
            with read_transaction(container.engine) as conn:
                if direction == "backward":
                    n = len(genealogy.trace_back(conn, lot))
                else:
                    n = len(genealogy.trace_forward(conn, lot).descendants)
            times.append(time.perf_counter_ns() - t0)
            reached.append(n)
        out[direction] = {**latency_us(times), "mean_lots_reached": sum(reached) / len(reached),
                          "max_lots_reached": max(reached)}
    times = []
    for month in range(1, 13):
        t0 = time.perf_counter_ns()
        with read_transaction(container.engine) as conn:
            queries.monthly_balances(conn, ENTERPRISE, f"2026-{month:02d}")
        times.append(time.perf_counter_ns() - t0)
    out["mass_balance_month"] = latency_us(times)
    return out


def run_backend(tmp_root: Path, name: str, server: str | None, sizes: list[int], chains: int, samples: int,
                console: Any) -> dict[str, Any]:
    rng = random.Random(SEED)
    result: dict[str, Any] = {}
    console.print(f"[{name}] capture of {chains * 7:,} events, {REPEATS} x {len(CAPTURE_RUNS)} runs, each into a fresh "
                  "database")
    result["capture"] = section_capture(tmp_root, name, server, chains)
    container = open_container(tmp_root, f"flow_{name}", server)
    try:
        setup_enterprise(container)
        console.print(f"[{name}] {GROWTH_RUNS} successive captures of {chains * 7:,} events into one database")
        result["growth"] = section_growth(container, chains)
        result["certificates"] = section_certificates(container, chains)
    finally:
        close_container(container, tmp_root, f"flow_{name}", server)
    result["graphs"] = {}
    for size in sizes:
        container = open_container(tmp_root, f"graph_{name}_{size}", server)
        try:
            setup_enterprise(container)
            t0 = time.perf_counter()
            layers = fill_graph(container, size, rng)
            fill = time.perf_counter() - t0
            console.print(f"[{name}] graph of {size:,} lots filled in {fill:.1f} s; tracing")
            result["graphs"][str(size)] = {"lots": sum(len(v) for v in layers.values()), "fill_s": fill,
                                           **time_traces(container, layers, rng, samples)}
        finally:
            close_container(container, tmp_root, f"graph_{name}_{size}", server)
    return result


def print_report(console: Any, report: dict[str, Any]) -> None:
    traces = Table("backend", "lots", "backward p50 ms", "backward p99 ms", "lots reached", "forward p50 ms",
                   "forward p99 ms", "lots reached", "month balance p50 ms", "all < 1 s",
                   title="flow: trace latency (target < 1 s at 10^6 lots)")
    for backend, result in report["backends"].items():
        for size, g in result["graphs"].items():
            back, fwd = g["backward"], g["forward"]
            worst = max(back["max"], fwd["max"])
            traces.add_row(backend, f"{int(size):,}", f"{back['median'] / 1000:.1f}", f"{back['p99'] / 1000:.1f}",
                           f"{back['mean_lots_reached']:.0f}", f"{fwd['median'] / 1000:.1f}",
                           f"{fwd['p99'] / 1000:.1f}", f"{fwd['mean_lots_reached']:.0f}",
                           f"{g['mass_balance_month']['median'] / 1000:.1f}", "yes" if worst < 1_000_000 else "NO")
    console.print(traces)
    capture_table = Table("backend", "events per document", "helper", "events", "documents", "events/s (median)",
                          "runs", "CPU s (main)", "re-submission s", "duplicates recognised",
                          title=f"flow: capture throughput (target 10,000 events/s on SQLite; median of {REPEATS} "
                                "alternating runs)")
    for backend, result in report["backends"].items():
        for c in result["capture"].values():
            if not isinstance(c, dict):
                continue
            share = f"yes ({c['helper_share']:.0%} of digests)" if c["helper"] else "no"
            capture_table.add_row(backend, f"{c['batch']:,}", share, f"{c['events']:,}", str(c["documents"]),
                                  f"{c['events_per_s']:,.0f}", ", ".join(f"{r:,}" for r in c["runs_events_per_s"]),
                                  f"{c['cpu_s']:.2f}", f"{c['resubmission_s']:.2f}", f"{c['duplicates_recognised']:,}")
    console.print(capture_table)
    growth = Table("backend", *[f"after {r['events_before']:,}" for r in
                                next(iter(report["backends"].values()))["growth"]["runs"]],
                   title="flow: capture into one growing database (events/s of each successive run, 1,000-event "
                         "documents, helper on)")
    for backend, result in report["backends"].items():
        growth.add_row(backend, *[f"{r['events_per_s']:,.0f}" for r in result["growth"]["runs"]])
    console.print(growth)
    other = Table("backend", "certificate", "steps", "entries", "build p50 ms", "verify p50 ms",
                  title="flow: certificates")
    for backend, result in report["backends"].items():
        for label, c in result["certificates"].items():
            other.add_row(backend, label, str(c["steps"]), str(c["entries"]), f"{c['build_us']['median'] / 1000:.1f}",
                          f"{c['verify_us']['median'] / 1000:.1f}")
    console.print(other)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = make_console()
    output = args.output or BENCH / "results" / ("flow-quick.json" if args.quick else "flow.json")
    started = time.perf_counter()
    tmp_root = Path(tempfile.mkdtemp(prefix="reetrace-bench-flow-"))
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    chains, samples = (300, 30) if args.quick else (3_000, 100)  # chains per document size, 7 events each
    report: dict[str, Any] = {"benchmark": "flow", "mode": "quick" if args.quick else "full",
                              "machine": describe_machine(tmp_root), "load": [load_sample("start")],
                              "parameters": {"seed": SEED, "sizes": sizes, "chains": chains, "samples": samples,
                                             "layers": [list(x) for x in LAYERS]}, "backends": {}}
    try:
        report["backends"]["sqlite"] = run_backend(tmp_root, "sqlite", None, sizes, chains, samples, console)
        with postgres_server(args.no_postgres, report) as server:
            if server is not None:
                report["backends"]["postgresql"] = run_backend(tmp_root, "postgresql", server,
                                                               sizes[:1] if args.quick else sizes, chains, samples,
                                                               console)
        report["load"].append(load_sample("end"))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    report["runtime_s"] = time.perf_counter() - started
    write_json(output, report)
    print_report(console, report)
    console.print(f"wrote {output} (runtime {report['runtime_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


