"""Tables, the 'not measured' rows and the verdicts against the targets of issue 2, from the report dict alone."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

APPEND_TARGET = 100_000  # durable appends/s in batches of 10,000 on SQLite
PROOF_TARGET_US = 1_000  # proof generation at 10^7 entries
EXPECTED_PROOF_SIZES = {
    ("reetrace", "SQLite"): [10**3, 10**5, 10**7],
    ("reetrace", "PostgreSQL"): [10**3, 10**5],
    ("pymerkle", "memory"): [10**3, 10**5, 10**7],
    ("pymerkle", "SQLite (own file)"): [10**3, 10**5, 10**7],
}
NOT_MEASURED = "not measured"


def _missing_reason(report: dict[str, Any], implementation: str, storage: str, size: int) -> dict[str, str]:
    """Why a row was not measured: ``reason`` (full, for the JSON) and ``short`` (for the table)."""
    for row in report.get("pymerkle", {}).get("not_measured", []):
        if (row["implementation"], row["storage"], row["size"]) == (implementation, storage, size):
            return {"reason": row["reason"], "short": row.get("short", row["reason"])}
    if storage == "PostgreSQL" and not report.get("postgresql", {}).get("measured"):
        reason = str(report.get("postgresql", {}).get("reason", "PostgreSQL not available"))
    elif report["mode"] == "quick" and size > 10**5:
        reason = "--quick stops at 10^5"
    else:
        reason = "not reached (the run stopped early)"
    return {"reason": reason, "short": reason}


def finalise(report: dict[str, Any]) -> None:
    """Add the rows that were not measured (with the reason), the verdicts and the load flag to the report."""
    measured = {(r["implementation"], r["storage"], r["size"]) for r in _all_proofs(report)}
    report["not_measured"] = [
        {"implementation": impl, "storage": storage, "size": size, "what": "proof latency",
         **_missing_reason(report, impl, storage, size)}
        for (impl, storage), sizes in EXPECTED_PROOF_SIZES.items() for size in sizes
        if (impl, storage, size) not in measured
    ]
    report["targets"] = verdicts(report)
    cores = report["machine"]["logical_cpus"] or 1
    start, end = report["load"][0]["load_1m"], report["load"][-1]["load_1m"]
    high = start >= cores / 2 or end >= cores
    report["load_high"] = {
        "high": high, "start_load_1m": start, "end_load_1m": end,
        "max_load_1m": max(s["load_1m"] for s in report["load"]),
        "rule": f"high when the 1-minute load is >= {cores / 2:g} at start (other work on half the cores) or "
                f">= {cores:g} at the end (the benchmark itself adds about 1)",
        "note": "other engineers ran test suites on this machine during the run; numbers are lower bounds"
        if high else "",
    }


def _all_proofs(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*report.get("proofs", []), *report.get("pymerkle", {}).get("proofs", [])]


def _proof_verdict(gen: dict[str, Any]) -> str:
    if gen["p99"] <= PROOF_TARGET_US:
        return "met"
    if gen["median"] <= PROOF_TARGET_US:
        return "met at the median, not met at p99"
    return "not met"


def verdicts(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    target = f">= {APPEND_TARGET:,} durable appends/s in batches of 10,000 on SQLite"
    for row in report.get("append_throughput", []):
        if row["storage"] == "SQLite" and row["batch"] == 10_000:
            rate = row["entries_per_s"]
            verdict = NOT_MEASURED if rate is None else ("met" if rate >= APPEND_TARGET else "not met")
            out.append({"target": target, "layer": row["layer"], "measured": rate, "unit": "entries/s",
                        "verdict": verdict})
    target = f"proof generation <= {PROOF_TARGET_US:,} µs at 10^7 entries (reetrace, SQLite)"
    for proof in ("inclusion", "consistency"):
        rows = [r for r in report.get("proofs", []) if r["storage"] == "SQLite" and r["size"] == 10**7
                and r["proof"] == proof]
        if rows:
            gen = rows[0]["gen_us"]
            out.append({"target": target, "proof": proof, "measured_median_us": gen["median"],
                        "measured_p99_us": gen["p99"], "verdict": _proof_verdict(gen)})
        else:
            out.append({"target": target, "proof": proof, "verdict": NOT_MEASURED,
                        "reason": _missing_reason(report, "reetrace", "SQLite", 10**7)["reason"]})
    return out


# -- formatting --------------------------------------------------------------------------------------------------

def _num(value: float | None, digits: int = 0) -> str:
    return NOT_MEASURED if value is None else f"{value:,.{digits}f}"


def _us(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _size(n: int) -> str:
    exponent = len(str(n)) - 1
    return f"10^{exponent}" if n == 10**exponent else f"{n:,}"


def append_table(title: str, rows: list[dict[str, Any]], peer: bool) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("Storage", "Method" if peer else "Layer", "Batch", "Durable", "Batches", "Entries", "Entries/s",
                 "Batch median (ms)", "Batch p99 (ms)", "Bench CPU (%)", "Note"):
        table.add_column(name, justify="right" if name not in {"Storage", "Layer", "Method", "Note"} else "left")
    for r in rows:
        measured = r["entries_per_s"] is not None
        table.add_row(
            r["storage"], r["layer"], f"{r['batch']:,}", "yes" if r["durable"] else "no (memory)",
            f"{r['batches']:,}" if measured else "-", f"{r['entries']:,}" if measured else "-",
            _num(r["entries_per_s"]), _num(r["batch_ms_median"], 2), _num(r["batch_ms_p99"], 2),
            _num(None if r["bench_cpu_share"] is None else r["bench_cpu_share"] * 100),
            r.get("note", ""),
        )
    return table


def proof_table(title: str, report: dict[str, Any], implementation: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("Storage", "Log size", "Proof", "Samples", "Gen median (µs)", "Gen p99 (µs)", "Gen first (µs)",
                 "Verify median (µs)", "Verify p99 (µs)", "Note"):
        table.add_column(name, justify="left" if name in {"Storage", "Proof", "Note"} else "right")
    rows = [r for r in _all_proofs(report) if r["implementation"] == implementation]
    missing = [m for m in report["not_measured"] if m["implementation"] == implementation]
    order = {"inclusion": 0, "consistency": 1}
    keyed = [((r["storage"], r["size"], order[r["proof"]]), r) for r in rows]
    keyed += [((m["storage"], m["size"], 2), m) for m in missing]
    for _, r in sorted(keyed, key=lambda item: (not item[0][0].startswith("SQLite"), item[0])):
        if "gen_us" not in r:
            table.add_row(r["storage"], _size(r["size"]), "both", "-", *[NOT_MEASURED] * 5,
                          r.get("short", r["reason"]))
            continue
        gen, ver = r["gen_us"], r["verify_us"]
        note = f"time budget reached after {r['seconds']:.0f} s" if r.get("budget_hit") else ""
        table.add_row(r["storage"], _size(r["size"]), r["proof"], f"{gen['samples']:,}", _us(gen["median"]),
                      _us(gen["p99"]), _us(gen["first"]), _us(ver["median"]), _us(ver["p99"]), note)
    return table


def growth_table(report: dict[str, Any]) -> Table:
    table = Table(title="4. Building the logs (batches of 10,000) and memory", title_justify="left")
    for name in ("Implementation", "Storage", "Log size", "Step build (s)", "Step entries/s", "On disk (MiB)",
                 "RSS now (MiB)", "Peak RSS (MiB)"):
        table.add_column(name, justify="left" if name in {"Implementation", "Storage"} else "right")
    rows = [*report.get("growth", []), *report.get("pymerkle", {}).get("growth", [])]
    previous: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["implementation"], r["storage"])
        step = r["size"] - previous.get(key, 0)
        previous[key] = r["size"]
        peak = r.get("vm_hwm_mib", r.get("peak_rss_mib"))
        disk = r.get("disk_bytes")
        table.add_row(r["implementation"], r["storage"], _size(r["size"]), f"{r['build_seconds']:,.1f}",
                      _num(step / r["build_seconds"] if r["build_seconds"] else None),
                      "-" if disk is None else f"{disk / 2**20:,.1f}", f"{r['rss_mib']:,.0f}", f"{peak:,.0f}")
    return table


def footer_lines(report: dict[str, Any]) -> list[str]:
    lines = ["[bold]Targets from issue 2 (this 2-core machine)[/bold]"]
    for t in report["targets"]:
        if "layer" in t:
            lines.append(f"  {t['target']} — {t['layer']}: {_num(t['measured'])} entries/s → [bold]{t['verdict']}[/]")
        elif t["verdict"] == NOT_MEASURED:
            lines.append(f"  {t['target']} — {t['proof']} proof: not measured ({t['reason']}) → [bold]not measured[/]")
        else:
            lines.append(f"  {t['target']} — {t['proof']} proof: median {_us(t['measured_median_us'])} µs, "
                         f"p99 {_us(t['measured_p99_us'])} µs → [bold]{t['verdict']}[/]")
    file = report.get("sqlite_file")
    if file:
        lines.append(f"SQLite file at {_size(file['size'])} entries: {file['db_bytes'] / 2**30:,.2f} GiB after a WAL "
                     f"checkpoint ({file['bytes_per_entry']:,.0f} bytes/entry incl. nodes, checkpoints, indexes)")
    check = report.get("cross_check")
    if check:
        lines.append(f"Cross-check: pymerkle and reetrace roots over the same {check['size']:,} stored entries are "
                     f"{'equal' if check['equal'] else 'DIFFERENT'}")
    m, load = report["machine"], report["load_high"]
    lines.append(f"Machine: {m['cpu_model']}, {m['logical_cpus']} CPUs, {m['ram_gib']} GiB RAM, Python {m['python']}, "
                 f"SQLite {m['sqlite']}, PostgreSQL {report.get('postgresql', {}).get('server_version', 'not run')}; "
                 f"load (1 min) {load['start_load_1m']:.2f} at start, {load['end_load_1m']:.2f} at end, "
                 f"max {load['max_load_1m']:.2f}" + (" — HIGH: " + load["note"] if load["high"] else ""))
    return lines


def print_report(console: Console, report: dict[str, Any]) -> None:
    console.print()
    console.print(append_table("1. Durable append throughput — reetrace (entries/s; timed region includes the commit)",
                               report["append_throughput"], peer=False))
    console.print(proof_table("2. Proof latency — reetrace (RFC 9162 proofs from stored nodes, one read transaction)",
                              report, "reetrace"))
    peer = report["pymerkle"]
    console.print(append_table(f"3a. pymerkle {peer['version']} append throughput (same entries; GPL, peer only)",
                               peer["append_throughput"], peer=True))
    console.print(proof_table(f"3b. pymerkle {peer['version']} proof latency (1-based indices; default subroot "
                              "cache)", report, "pymerkle"))
    console.print(growth_table(report))
    for line in footer_lines(report):
        console.print(line)
