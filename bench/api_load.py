"""Load generators of the API benchmark: wrk (closed loop, maximum throughput) and an open-loop generator.

``wrk`` runs with a Lua script written here: it sets the ``Authorization: Bearer`` header, picks a random path
from the benchmark's list for every request, counts the answers by status code and prints one JSON line from
``done()`` (requests, duration, latency percentiles, socket errors, status counts).

The open-loop generator (``python bench/api_load.py ...``, run as its own process so that its CPU time is measured
apart from the benchmark's) sends requests at a fixed rate over a fixed number of keep-alive connections. Request
``k`` is due at ``start + k / rate``; its latency is measured from that *intended* send time, so a request that
waits for a free connection (because the server is slow) is charged for the wait: no coordinated omission (as in
wrk2). A request not answered within ``timeout`` of its intended time is a timeout error and is not sent late;
that is what a client with a timeout does. It is plain asyncio with a minimal HTTP/1.1 client (stdlib only):
httpx would cost several times more CPU per request on a 2-core machine that the server needs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PERCENTILES = (50, 90, 99, 99.9)

# -- wrk ----------------------------------------------------------------------------------------------------------

WRK_SCRIPT = """-- written by bench/api_load.py: authenticated GETs of random paths, JSON summary from done()
local token = "{token}"
local paths = {{{paths}}}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {{}}
  sent = 0
  math.randomseed(os.time() + {seed} + #threads)
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[math.random(#paths)], {{["Authorization"] = "Bearer " .. token}})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {{}}
  local total_sent = 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {{}}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format('WRK_JSON {{"requests": %d, "duration_us": %d, "latency_us": {{"p50": %d, "p90": %d, ' ..
    '"p99": %d, "p99.9": %d, "max": %d, "mean": %.1f}}, "socket_errors": {{"connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d}}, "wrk_status_errors": %d, "sent": %d, "statuses": {{%s}}}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, e.connect, e.read, e.write, e.timeout, e.status,
    total_sent, table.concat(parts, ", ")))
end
"""


def write_wrk_script(path: Path, token: str, paths: list[str], seed: int) -> None:
    if any('"' in p or "\\" in p for p in paths) or '"' in token:
        raise ValueError("paths and token must not contain quotes or backslashes")
    quoted = ", ".join(f'"{p}"' for p in paths)
    path.write_text(WRK_SCRIPT.format(token=token, paths=quoted, seed=seed), encoding="utf-8")


def wrk_version() -> str:
    try:
        proc = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    text = (proc.stdout + proc.stderr).strip()
    return text.splitlines()[0].split("Copyright")[0].replace("[", "(").replace("]", ")").strip() if text else ""


def wait_child(proc: subprocess.Popen[str]) -> tuple[int, Any]:
    """Wait for a load generator, with its resource usage; if the benchmark is interrupted, end the child too."""
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return status, usage


def run_wrk(base_url: str, script: Path, connections: int, seconds: float, timeout_s: float,
            threads: int = 1) -> dict[str, Any]:
    """Run wrk; return its JSON summary plus its own CPU time (from wait4) and the total error count."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
           f"{round(timeout_s)}s", "-s", str(script), base_url]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status, usage = wait_child(proc)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {proc.returncode}): {' '.join(cmd)}\n{out}\n{err}")
    data: dict[str, Any] = json.loads(line[len("WRK_JSON "):])
    statuses = {int(k): v for k, v in data.pop("statuses").items()}
    lat = data.pop("latency_us")
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    socket_errors = sum(data["socket_errors"].values())
    seconds_measured = data["duration_us"] / 1e6
    answered = sum(statuses.values())
    return {
        "tool": "wrk", "command": " ".join([*cmd[:-3], "<lua script>", base_url]),
        "requests": data["requests"], "ok": ok, "statuses": statuses,
        "non_2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300), "sent": data["sent"],
        "unanswered_at_end": max(0, data["sent"] - answered - data["socket_errors"]["timeout"]
                                 - data["socket_errors"]["read"]),
        "socket_errors": data["socket_errors"], "errors": sum(n for s, n in statuses.items()
                                                               if not 200 <= s < 300) + socket_errors,
        "duration_s": seconds_measured, "requests_per_s": data["requests"] / seconds_measured,
        "ok_per_s": ok / seconds_measured,
        "latency_ms": {**{f"p{q:g}": lat[f"p{q:g}"] / 1e3 for q in PERCENTILES}, "max": lat["max"] / 1e3,
                       "mean": lat["mean"] / 1e3},
        "latency_from": "send (closed loop: each connection waits for its answer before the next request)",
        "generator_cpu_s": usage.ru_utime + usage.ru_stime, "generator_wall_s": wall,
        "generator_cpu_share": (usage.ru_utime + usage.ru_stime) / wall,
    }


# -- the open-loop generator ------------------------------------------------------------------------------------


@dataclass
class OpenLoopResult:
    scheduled: int = 0
    latencies_ns: list[int] = field(default_factory=list)  # from intended send time, every answered request
    service_ns: list[int] = field(default_factory=list)  # from actual send time
    send_lag_ns: list[int] = field(default_factory=list)  # actual send - intended send
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: Counter[str] = field(default_factory=Counter)
    first_send: float = 0.0
    last_answer: float = 0.0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return (status, keep_alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        raise ValueError("response without content-length or chunked encoding")
    return status, headers.get("connection") != "close"


async def open_loop(host: str, port: int, token: str, paths: list[str], rate: float, seconds: float,
                    connections: int, timeout_s: float, seed: int) -> OpenLoopResult:
    loop = asyncio.get_running_loop()
    result = OpenLoopResult(scheduled=int(rate * seconds))
    rng = random.Random(seed)
    order = [paths[rng.randrange(len(paths))] for _ in range(result.scheduled)]
    requests = [(f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                 f"User-Agent: reetrace-bench\r\nAccept: */*\r\n\r\n").encode("ascii") for p in order]
    start = loop.time() + 0.5
    next_k = 0

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(host, port)

    async def worker() -> None:
        nonlocal next_k
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            conn = await connect()
        except OSError:
            result.socket_errors["connect"] += 1
        while next_k < result.scheduled:
            k = next_k
            next_k += 1
            intended = start + k / rate
            deadline = intended + timeout_s
            delay = intended - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if loop.time() >= deadline:
                result.socket_errors["timeout"] += 1  # never sent: no connection was free in time
                continue
            try:
                if conn is None:
                    conn = await asyncio.wait_for(connect(), deadline - loop.time())
                reader, writer = conn
                sent = loop.time()
                if not result.first_send:
                    result.first_send = sent
                writer.write(requests[k])
                status, keep_alive = await asyncio.wait_for(read_response(reader), deadline - loop.time())
            except TimeoutError:
                result.socket_errors["timeout"] += 1
                conn = _close(conn)
                continue
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                result.socket_errors["connect" if conn is None else "read"] += 1
                conn = _close(conn)
                continue
            answered = loop.time()
            result.last_answer = max(result.last_answer, answered)
            result.statuses[status] += 1
            result.latencies_ns.append(int((answered - intended) * 1e9))
            result.service_ns.append(int((answered - sent) * 1e9))
            result.send_lag_ns.append(int((sent - intended) * 1e9))
            if not keep_alive:
                conn = _close(conn)
        _close(conn)

    await asyncio.gather(*(worker() for _ in range(connections)))
    return result


def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if conn is not None:
        conn[1].close()
    return None


def percentile_ms(ordered: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanosecond values, in milliseconds."""
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] / 1e6


def summarise_open_loop(result: OpenLoopResult, rate: float, seconds: float, timeout_s: float, wall: float,
                        cpu: float, connections: int) -> dict[str, Any]:
    """Percentiles over every scheduled request: a timed-out one counts as slower than ``timeout_s``.

    A percentile that falls on a timed-out request is reported as ``timeout_s`` with ``censored`` true
    ("at least this").
    """
    answered = sorted(result.latencies_ns)
    timeouts = result.socket_errors.get("timeout", 0)
    other_lost = result.scheduled - len(answered) - timeouts
    every = answered + [int(timeout_s * 1e9)] * (result.scheduled - len(answered))
    latency: dict[str, float] = {}
    censored: dict[str, bool] = {}
    for q in PERCENTILES:
        rank = max(1, math.ceil(q / 100 * len(every)))
        latency[f"p{q:g}"] = every[rank - 1] / 1e6
        censored[f"p{q:g}"] = rank > len(answered)
    latency["max"] = every[-1] / 1e6 if every else math.nan
    statuses = dict(sorted(result.statuses.items()))
    non_2xx = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    span = (result.last_answer - result.first_send) if result.last_answer > result.first_send else math.nan
    service = sorted(result.service_ns)
    lag = sorted(result.send_lag_ns)
    return {
        "tool": "open-loop generator (bench/api_load.py, asyncio, stdlib HTTP/1.1)",
        "target_rate_per_s": rate, "connections": connections, "scheduled_seconds": seconds,
        "timeout_s": timeout_s, "requests": result.scheduled, "answered": len(answered), "ok": ok,
        "statuses": statuses, "non_2xx": non_2xx, "socket_errors": dict(result.socket_errors),
        "lost_without_error": other_lost,
        "errors": non_2xx + sum(result.socket_errors.values()) + max(0, other_lost),
        "duration_s": span, "requests_per_s": len(answered) / span if span == span else math.nan,
        "ok_per_s": ok / span if span == span else math.nan,
        "latency_ms": latency, "latency_censored": censored,
        "latency_from": "intended send time (open loop; waiting for a free connection is included)",
        "service_ms": {f"p{q:g}": percentile_ms(service, q) for q in PERCENTILES},
        "send_lag_ms": {f"p{q:g}": percentile_ms(lag, q) for q in (50, 99)} | {"max": percentile_ms(lag, 100)},
        "generator_cpu_s": cpu, "generator_wall_s": wall, "generator_cpu_share": cpu / wall if wall else math.nan,
    }


def run_open_loop(python: str, base_url: str, token_file: Path, paths_file: Path, rate: float, seconds: float,
                  connections: int, timeout_s: float, seed: int) -> dict[str, Any]:
    """Run the open-loop generator in its own process; its CPU time comes from wait4."""
    cmd = [python, str(Path(__file__).resolve()), "--url", base_url, "--token-file", str(token_file),
           "--paths-file", str(paths_file), "--rate", str(rate), "--seconds", str(seconds),
           "--connections", str(connections), "--timeout", str(timeout_s), "--seed", str(seed)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status, usage = wait_child(proc)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"open-loop generator failed: {err[-3000:]}")
    data: dict[str, Any] = json.loads(out)
    data["statuses"] = {int(k): v for k, v in data["statuses"].items()}
    data["generator_process_cpu_s"] = usage.ru_utime + usage.ru_stime
    data["generator_process_wall_s"] = wall
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Open-loop HTTP load at a fixed rate (one JSON object on stdout)")
    parser.add_argument("--url", required=True, help="http://HOST:PORT")
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--paths-file", type=Path, required=True, help="one path per line")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds from the intended send time")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    host_port = args.url.removeprefix("http://").rstrip("/")
    host, _, port = host_port.partition(":")
    token = args.token_file.read_text(encoding="utf-8").strip()
    paths = [line for line in args.paths_file.read_text(encoding="utf-8").splitlines() if line]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = asyncio.run(open_loop(host, int(port), token, paths, args.rate, args.seconds, args.connections,
                                   args.timeout, args.seed))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    sys.stdout.write(json.dumps(summarise_open_loop(result, args.rate, args.seconds, args.timeout, wall, cpu,
                                                    args.connections)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
