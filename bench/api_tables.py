"""Tables and the verdicts against the target of issue 3, from the report dict alone (bench/api.py)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

TARGET_P99_MS = 50.0
TARGET_RATE = 500.0
RATE_KEPT = 0.98  # the fixed-rate run must answer at least 98 % of the target rate to count as "at 500 requests/s"
NOT_MEASURED = "not measured"
BACKENDS = ("SQLite", "PostgreSQL")


def _finite(value: Any) -> float | None:
    return value if isinstance(value, int | float) and math.isfinite(value) else None


def verdict(row: dict[str, Any]) -> dict[str, Any]:
    """Target: p99 under 50 ms at 500 requests/s with zero errors (the fixed-rate run)."""
    out = {"backend": row["backend"], "workers": row["workers"], "endpoint": row["endpoint"]}
    if "failed" in row:
        return {**out, "verdict": NOT_MEASURED, "reasons": [row["failed"]]}
    reasons = []
    p99, censored = row["latency_ms"]["p99"], row["latency_censored"]["p99"]
    if censored or p99 >= TARGET_P99_MS:
        reasons.append(f"p99 {'>= ' if censored else ''}{p99:,.1f} ms (target < {TARGET_P99_MS:g} ms)")
    if row["errors"]:
        reasons.append(f"{row['errors']:,} errors (target 0)")
    kept = _finite(row.get("ok_per_s")) or 0.0
    if kept < RATE_KEPT * row["target_rate_per_s"]:
        reasons.append(f"answered {kept:,.0f} requests/s of {row['target_rate_per_s']:,.0f} scheduled")
    return {**out, "verdict": "not met" if reasons else "met", "p99_ms": p99, "p99_censored": censored,
            "errors": row["errors"], "ok_per_s": kept, "reasons": reasons}


def finalise(report: dict[str, Any]) -> None:
    report["targets"] = {
        "target": f"p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:g} requests/s with zero errors "
                  "(fixed-rate open-loop run, 50 connections)",
        "verdicts": [verdict(r) for r in report["runs"] if r["mode"] == "rate"],
    }
    if not report.get("postgresql", {}).get("measured"):
        report["targets"]["postgresql"] = NOT_MEASURED + ": " + str(report.get("postgresql", {}).get("reason"))
    cores = report["machine"]["logical_cpus"] or 1
    samples = [report["load"][0]] + [r[k] for r in report["runs"] for k in ("load_before", "load_after") if k in r]
    samples.append(report["load"][-1])
    start, end = report["load"][0]["load_1m"], report["load"][-1]["load_1m"]
    before = [r["load_before"]["load_1m"] for r in report["runs"] if "load_before" in r]
    others = [r["cpu"]["other_cores"] for r in report["runs"] if "cpu" in r]
    high = start >= cores / 2 or (max(others) if others else 0.0) >= 0.5
    report["load_high"] = {
        "high": high, "start_load_1m": start, "end_load_1m": end, "max_load_1m": max(s["load_1m"] for s in samples),
        "max_load_1m_before_a_run": max(before) if before else None,
        "max_other_cores_during_a_run": max(others) if others else None,
        "rule": f"high when the 1-minute load is >= {cores / 2:g} at start, or when work other than the server, the "
                "database and the load generator used >= 0.5 core during a run (the benchmark itself keeps the "
                "load near the number of cores during a run, so the load average alone cannot tell)",
        "note": "other engineers' work ran on this machine during the run; throughput numbers are lower bounds and "
                "latencies upper bounds" if high else "",
    }


# -- formatting ---------------------------------------------------------------------------------------------------

def _ms(row: dict[str, Any], q: str) -> str:
    value = row["latency_ms"][q]
    if row.get("latency_censored", {}).get(q):
        return f">= {value:,.0f}"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _cores(value: Any) -> str:
    value = _finite(value)
    return "-" if value is None else f"{value:.2f}"


SHORT = {"GET /api/v1/log/entries/{i}": "entries/{i}", "GET /api/v1/registry/enterprises": "enterprises"}


def _errors(row: dict[str, Any]) -> str:
    socket = sum(row["socket_errors"].values())
    unseen = row.get("server_errors_unseen_by_client", 0)
    return f"{row['errors']:,}" + (f" ({row['non_2xx']:,}/{socket:,}/{unseen:,})" if row["errors"] else "")


def _note(row: dict[str, Any]) -> str:
    notes = []
    statuses = {s: n for s, n in row["statuses"].items() if not 200 <= int(s) < 300}
    if statuses:
        notes.append(", ".join(f"{n:,}×{s}" for s, n in sorted(statuses.items())))
    socket = {k: n for k, n in row["socket_errors"].items() if n}
    if socket:
        notes.append(", ".join(f"{n:,} {k}" for k, n in socket.items()))
    log = row.get("server_log", {})
    if log.get("pool_timeouts_logged"):
        notes.append(f"{log['pool_timeouts_logged']:,} pool timeouts logged")
    elif log.get("exceptions_logged"):
        notes.append(f"{log['exceptions_logged']:,} exceptions logged")
    if row["workers"] > 1 and row.get("worker_cores"):
        spread = row.get("connections_per_worker_at_2s") or {}
        conns = "/".join(str(spread.get(str(pid), "?")) for pid in row.get("worker_pids", []))
        notes.append("workers " + "/".join(f"{c:.2f}" for c in row["worker_cores"]) + f" cores, {conns} conns")
    after = row.get("after_check", {})
    if after and not after.get("ok"):
        notes.append(f"no answer {after.get('seconds', 0):.0f} s after")
    elif after and after.get("seconds", 0) > 1:
        notes.append(f"next request {after['seconds']:.0f} s")
    return "; ".join(notes)


def _load(row: dict[str, Any], rate: float) -> str:
    if row["mode"] == "rate":
        return f"{rate:g}/s, c{row.get('connections', '?')}"
    return f"max, c{row.get('connections', '?')}"


def backend_table(report: dict[str, Any], backend: str) -> Table:
    info = report["backends"].get(backend, {})
    world = info.get("world", {})
    title = (f"{backend}: token of {world.get('username', '?')} ({world.get('tenant', '?')}: "
             f"{world.get('visible_entries', 0):,} of {world.get('log_size', 0):,} log entries, "
             f"{world.get('enterprises_visible', 0)} of {world.get('enterprises_total', 0)} enterprises visible); "
             f"max = wrk closed loop, {report['parameters']['rate']:g}/s = open loop")
    table = Table(title=title, title_justify="left")
    for name in ("Endpoint", "W", "Load", "Requests", "2xx/s", "p50 ms", "p90 ms", "p99 ms", "Errors",
                 "Srv CPU", "DB CPU", "Gen CPU", "Busy", "Note"):
        table.add_column(name, justify="left" if name in {"Endpoint", "Load", "Note"} else "right",
                         overflow="fold")
    rate = report["parameters"]["rate"]
    for row in (r for r in report["runs"] if r["backend"] == backend):
        endpoint = SHORT.get(row["endpoint"], row["endpoint"])
        if "failed" in row:
            table.add_row(endpoint, str(row["workers"]), _load(row, rate), *["-"] * 10, row["failed"][:100])
            continue
        cpu = row["cpu"]
        table.add_row(endpoint, str(row["workers"]), _load(row, rate), f"{row['requests']:,}",
                      f"{_finite(row['ok_per_s']) or 0:,.0f}", _ms(row, "p50"), _ms(row, "p90"), _ms(row, "p99"),
                      _errors(row), _cores(cpu["server_cores"]), _cores(cpu["db_cores"]),
                      _cores(cpu["generator_cores"]), f"{cpu['machine_busy_share'] * 100:.0f}%", _note(row))
    return table


def footer_lines(report: dict[str, Any]) -> list[str]:
    targets = report["targets"]
    lines = [f"[bold]Target from issue 3 (this machine): {targets['target']}[/bold]"]
    for v in targets["verdicts"]:
        workers = f"{v['workers']} worker{'s' if v['workers'] > 1 else ''}"
        head = f"  {v['backend']}, {workers}, {SHORT.get(v['endpoint'], v['endpoint'])}"
        if v["verdict"] == NOT_MEASURED:
            lines.append(f"{head}: not measured ({v['reasons'][0][:150]})")
            continue
        p99 = f"{'>= ' if v['p99_censored'] else ''}{v['p99_ms']:,.1f} ms"
        detail = f"p99 {p99}, {v['errors']:,} errors, {v['ok_per_s']:,.0f} answered/s"
        why = f" ({'; '.join(v['reasons'])})" if v["reasons"] else ""
        lines.append(f"{head}: {detail} → [bold]{v['verdict'].upper()}[/bold]{why}")
    if "postgresql" in targets:
        lines.append(f"  PostgreSQL: {targets['postgresql']}")
    met = [v for v in targets["verdicts"] if v["verdict"] == "met"]
    measured = [v for v in targets["verdicts"] if v["verdict"] != NOT_MEASURED]
    if measured:
        summary = ("met in every configuration" if len(met) == len(measured) else
                   "NOT MET in any configuration" if not met else
                   f"met in {len(met)} of {len(measured)} configurations")
        lines.append(f"[bold]Overall: target {summary}.[/bold]")
    m, load = report["machine"], report["load_high"]
    web = m.get("packages_web", {})
    lines.append(
        f"Machine: {m['cpu_model']}, {m['logical_cpus']} CPUs, {m['ram_gib']} GiB RAM, Python {m['python']}, SQLite "
        f"{m['sqlite']}, PostgreSQL {report.get('postgresql', {}).get('server_version', 'not run')}, uvicorn "
        f"{web.get('uvicorn')} ({'httptools' if web.get('httptools') else 'h11'} parser, "
        f"{'uvloop' if web.get('uvloop') else 'asyncio'} loop), {m.get('wrk') or 'wrk absent'}; git "
        f"{m['git_commit'][:10]}; load (1 min) {load['start_load_1m']:.2f} at start, {load['end_load_1m']:.2f} at "
        f"end, max {load['max_load_1m']:.2f}" + (" — HIGH: " + load["note"] if load["high"] else ""))
    lines.append("Columns: W = uvicorn workers; c = concurrent connections; Requests = answered (wrk) or "
                 "scheduled (open loop); Errors = total (non-2xx / socket errors and timeouts / 500s the server "
                 "logged for requests wrk still had in flight when it stopped); CPU in cores (1.00 = one core for "
                 "the whole run), Gen = load generator, Busy = the whole machine, other people's work included. "
                 "Open-loop latency is from the intended send time; '>=' marks a percentile that fell on a "
                 "timed-out request. 'max, c10' is a diagnostic below the connection pool's 15 connections.")
    return lines


def print_report(console: Console, report: dict[str, Any]) -> None:
    console.print()
    for backend in BACKENDS:
        if any(r["backend"] == backend for r in report["runs"]):
            console.print(backend_table(report, backend))
        else:
            reason = report.get("postgresql", {}).get("reason", "")
            console.print(f"[bold]{backend}[/bold]: not measured ({reason})")
    for line in footer_lines(report):
        console.print(line)
