"""The server side of the API benchmark: ``reetrace serve`` as a subprocess, and CPU accounting from ``/proc``.

The server is started exactly as an operator starts it (``reetrace --home H [--db URL] serve --host 127.0.0.1
--port P --workers N``): one worker runs ``uvicorn.run(create_app(container))`` in the process, more workers go
through uvicorn's supervisor and ``reetrace.web.app:app_from_environment``. Its log goes to a file, which is read
back for server-side exceptions (a 500 is counted by the load generator; the log says why).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- CPU time of process trees and of the machine ---------------------------------------------------------------

def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces; everything after the closing parenthesis is space-separated
    return raw[raw.rindex(")") + 2:].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    children = _children_map()
    tree, frontier = [root], [root]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        tree += frontier
    return tree


def tree_cpu_ticks(root: int | None) -> dict[int, int]:
    """utime + stime (clock ticks) of every live process in the tree under ``root``."""
    if root is None:
        return {}
    out = {}
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            out[pid] = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the full line)
    return out


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat; idle and iowait are not busy."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return total - values[3] - values[4], total


def postmaster_pid(port: int) -> int | None:
    """The PostgreSQL server listening on ``port`` (started with ``-p PORT`` by tests/support/pgserver.py)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/postgres") and b"-p" in argv:
            i = argv.index(b"-p")
            if i + 1 < len(argv) and argv[i + 1] == str(port).encode():
                return int(entry.name)
    return None


def connections_per_process(pids: list[int], port: int) -> dict[int, int]:
    """Established TCP connections on local ``port`` held by each process (from /proc/net/tcp and the fds)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01 = ESTABLISHED
                inodes.add(fields[9])
    out = {}
    for pid in pids:
        count = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    count += 1
        except OSError:
            pass
        out[pid] = count
    return out


@dataclass
class CpuWindow:
    """CPU used by the server tree, the database server tree and the whole machine over a run."""

    server_root: int
    db_root: int | None
    wall0: float = 0.0
    server0: dict[int, int] = field(default_factory=dict)
    db0: dict[int, int] = field(default_factory=dict)
    machine0: tuple[int, int] = (0, 0)

    def start(self) -> CpuWindow:
        self.server0, self.db0 = tree_cpu_ticks(self.server_root), tree_cpu_ticks(self.db_root)
        self.machine0, self.wall0 = machine_ticks(), time.perf_counter()
        return self

    def stop(self, generator_cpu_s: float) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall0
        server1, db1, machine1 = tree_cpu_ticks(self.server_root), tree_cpu_ticks(self.db_root), machine_ticks()

        def used(before: dict[int, int], after: dict[int, int]) -> float:
            return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK

        busy = (machine1[0] - self.machine0[0]) / max(1, machine1[1] - self.machine0[1])
        cores = os.cpu_count() or 1
        server, db = used(self.server0, server1), used(self.db0, db1)
        other = busy * cores * wall - server - db - generator_cpu_s
        per_process = {pid: (t - self.server0.get(pid, 0)) / CLK_TCK / wall for pid, t in server1.items()}
        return {"wall_s": wall, "server_cpu_s": server, "server_cores": server / wall,
                "server_cores_per_process": {pid: c for pid, c in per_process.items() if c >= 0.005},
                "db_cpu_s": db if self.db_root else None, "db_cores": db / wall if self.db_root else None,
                "generator_cores": generator_cpu_s / wall, "machine_busy_share": busy,
                "other_cores": max(0.0, other / wall),
                "other_note": "machine busy time minus server, database and load generator: the benchmark harness, "
                              "the kernel's softirq for loopback traffic, and other people's work"}


# -- the server ------------------------------------------------------------------------------------------------

class ServerFailed(RuntimeError):
    pass


class Server:
    """``reetrace serve`` on 127.0.0.1:PORT in its own process group; ``stop()`` ends only that group."""

    def __init__(self, reetrace: str, home: Path, database_url: str | None, port: int, workers: int,
                 log_path: Path) -> None:
        self.port, self.workers, self.log_path = port, workers, log_path
        cmd = [reetrace, "--home", str(home)]
        if database_url:
            cmd += ["--db", database_url]
        cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        self.command = cmd
        env = {k: v for k, v in os.environ.items() if not k.startswith("REETRACE_")}
        env["REETRACE_PASSWORD_COST"] = "low"
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = get(self.port, "/health", None, timeout=5)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerFailed(f"server not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that answer requests: the server itself, or uvicorn's worker processes."""
        if self.workers == 1:
            return [self.proc.pid]
        tree = process_tree(self.proc.pid)[1:]
        pythons = []
        for pid in tree:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                pythons.append(pid)
        return pythons

    def log_tail(self, chars: int = 3000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def server_errors(self) -> dict[str, int]:
        """Exceptions the server logged (each is a 500 answered, or a connection dropped)."""
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace")
        # uvicorn logs each failed request once as "Exception in ASGI application" with its traceback (reetrace's
        # error handler logs the same traceback again): count the requests, and those that failed in pool checkout
        blocks = text.split("Exception in ASGI application")[1:]
        return {"exceptions_logged": len(blocks),
                "pool_timeouts_logged": sum("QueuePool limit of size" in block for block in blocks)}

    def stop(self) -> dict[str, Any]:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after 3 s; how it went."""
        started, killed = time.perf_counter(), False
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                killed = True
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()
        return {"seconds": time.perf_counter() - started, "killed": killed}


def get(port: int, path: str, token: str | None, timeout: float = 10.0,
        conn: http.client.HTTPConnection | None = None) -> tuple[int, Any]:
    """One GET on 127.0.0.1:PORT; the JSON body (or None)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        return response.status, data
    finally:
        if own:
            conn.close()
