"""Leak-trace benchmark: is the right copy named, and never an innocent one, after each leak channel?

    .venv/bin/python bench/leaktrace.py            # full run (200 trials per channel and picture)
    .venv/bin/python bench/leaktrace.py --quick    # smoke run (20 trials)

Sections each return ``(dict for the JSON, table rows)``: pasted-text excerpts, text collusion and timing are in
``bench/leaktrace_text.py`` (its docstring says what they measure); the picture sections are below.

Pictures (``pictures`` section): a generated A4 text page at 150 dpi (1240×1754, grey, c = 3 code of 1,357
positions) and a flow diagram (1000×700, colour, c = 2 code of 332 positions), 200 issued copies each. A trial picks
a leaker at random, issues its copy (:func:`imagemarks.embed`), sends it through a channel with fresh randomness
(:mod:`channels`), reads the marks (:func:`imagemarks.read`: registration onto the master, then the codeword) and
accuses with :func:`tardos.accuse` (ε₁ = 10⁻⁶ per innocent copy). *Identified*: the leaker and only the leaker is
accused (for collusion rows: at least one colluder, and no innocent). *False*: any innocent copy accused.

Peers: ``invisible-watermark`` (dwtDct) and ``blind-watermark`` from PyPI, in their own venv
(bench/.peer-img-venv from bench/requirements-peer-images.txt, installed with --no-deps plus their real
dependencies), each embedding a 32-bit copy id in the master (as BGR) on the same trials and channels; the leaked
picture is resized back to the master's size before decoding (neither peer registers geometry). Identified: the
decoded id equals the leaker's; false: it equals another copy's id. Written to ``bench/results/leaktrace.json``
(``leaktrace-quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO / "src"), str(BENCH), str(REPO / "tests" / "documents")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from pictures import diagram, text_page  # noqa: E402
from rich.table import Table  # noqa: E402

import leaktrace_text  # noqa: E402
from ledger_support import describe_machine, make_console  # noqa: E402
from reetrace.domains.documents import channels, imagemarks, tardos  # noqa: E402

PEER_VENV = BENCH / ".peer-img-venv"
KEY = b"reetrace-bench-tardos-key-0123456789"
MARK_KEY = b"reetrace-bench-image-mark-key-01234"
COPIES = 200
PAYLOAD_BITS = 32
Image = np.ndarray[Any, np.dtype[np.uint8]]
Channel = Callable[[Image, np.random.Generator], Image]

CHANNELS: dict[str, Channel] = {
    "whole picture (PNG)": lambda im, rng: channels.png(im),
    "JPEG quality 50": lambda im, rng: channels.jpeg(im, 50),
    "rescaled to 50 %": lambda im, rng: channels.rescale(im, 0.5),
    "quarter crop": lambda im, rng: channels.crop(im, fraction=0.25, rng=rng),
    "screenshot of half": lambda im, rng: channels.screenshot(im, rng),
    "print-scan 150 dpi": lambda im, rng: channels.print_scan(im, rng),
    "phone photo": lambda im, rng: channels.phone_photo(im, rng),
}
COLLUSIONS: dict[str, tuple[int, str]] = {"2 colluders, averaged": (2, "average"),
                                          "3 colluders, tiles mixed": (3, "mix")}


def _seed(*parts: object) -> np.random.Generator:
    """The same channel randomness for ours and the peers' copies of a trial."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _psnr(a: Image, b: Image) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        lines = (BENCH / "requirements-peer-images.txt").read_text(encoding="utf-8").splitlines()
        pins = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *pins], check=True)
    return python


def _peer(mode: str, jobs: list[dict[str, Any]]) -> None:
    """Run the peer script on each job, all at once (one process per job: WORKERS jobs use the cores)."""
    running = []
    for job in jobs:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(job, handle)
        running.append(subprocess.Popen([str(_peer_python()), str(BENCH / "leaktrace_peer.py"), mode, handle.name],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else "peer failed")


_CONTEXT: dict[str, Any] = {}
WORKERS = 2


def _init_worker(context: dict[str, Any]) -> None:
    cv2.setNumThreads(1)  # two workers on two cores
    _CONTEXT.update(context)


def _trial(job: tuple[str, int]) -> dict[str, Any]:
    """One trial in a worker process (the picture and code come from _CONTEXT, set by _init_worker)."""
    channel, trial = job
    ctx = _CONTEXT
    master, code, recipients, words = ctx["master"], ctx["code"], ctx["recipients"], ctx["words"]
    rng = _seed(ctx["name"], channel, trial)
    psnr = None
    if channel in COLLUSIONS:
        k, how = COLLUSIONS[channel]
        gang = [int(j) for j in rng.choice(COPIES, size=k, replace=False)]
        copies = [imagemarks.embed(master, MARK_KEY, words[j]) for j in gang]
        leaked = channels.jpeg(channels.average(copies) if how == "average" else channels.mix_regions(copies, rng), 75)
    else:
        gang = [int(rng.integers(0, COPIES))]
        copy = imagemarks.embed(master, MARK_KEY, words[gang[0]])
        psnr = _psnr(copy, ctx["base"])
        leaked = CHANNELS[channel](copy, rng)
    started = time.perf_counter()
    reading = imagemarks.read(master, leaked, MARK_KEY, code.length)
    accused: set[str] = set()
    if reading.positions_read:
        accused = {s.recipient for s in tardos.accuse(code, recipients, words, reading.bits).accused}
    guilty = {recipients[j] for j in gang}
    return {"channel": channel, "trial": trial, "gang": gang, "psnr": psnr, "read": reading.positions_read,
            "seconds": time.perf_counter() - started, "false": bool(accused - guilty),
            "identified": bool(accused) and accused <= guilty and (channel in COLLUSIONS or accused == guilty)}


def _picture_rows(name: str, master: Image, colluders: int, trials: int, peers: bool, console: Any,
                  tmp: Path) -> tuple[dict[str, Any], list[list[str]]]:
    code = tardos.generate_code(KEY, f"bench-{name}", colluders=colluders)
    recipients = [f"RT-CPY-{i:05d}" for i in range(COPIES)]
    words = tardos.codebook(KEY, code, recipients)
    ids = np.random.default_rng(11).integers(0, 2, size=(COPIES, PAYLOAD_BITS))
    base = imagemarks.reference(master)
    out: dict[str, Any] = {"shape": list(master.shape), "positions": code.length, "colluders": colluders,
                           "capacity": imagemarks.capacity(master.shape), "copies": COPIES, "channels": {}}
    psnrs: list[float] = []
    peer_master = master if master.ndim == 3 else cv2.cvtColor(master, cv2.COLOR_GRAY2BGR)
    peer_jobs: list[tuple[str, int, int]] = []  # (channel, trial, leaker)
    context = {"name": name, "master": master, "code": code, "recipients": recipients, "words": words, "base": base}
    jobs = [(channel, trial) for channel in [*CHANNELS, *COLLUSIONS] for trial in range(trials)]
    # spawn, not fork: OpenCV's thread pool in this process would deadlock a forked child
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(context,)) as pool:
        results = list(pool.map(_trial, jobs, chunksize=4))
    for channel in [*CHANNELS, *COLLUSIONS]:
        mine = [r for r in results if r["channel"] == channel]
        identified = sum(r["identified"] for r in mine)
        false = sum(r["false"] for r in mine)
        read_counts = [r["read"] for r in mine]
        seconds = [r["seconds"] for r in mine]
        psnrs += [r["psnr"] for r in mine if r["psnr"] is not None][:20 - len(psnrs)]
        peer_jobs += [(channel, r["trial"], r["gang"][0]) for r in mine if channel not in COLLUSIONS]
        out["channels"][channel] = {"trials": trials, "identified": identified, "false_accusations": false,
                                    "positions_read_mean": float(np.mean(read_counts)),
                                    "read_seconds_mean": float(np.mean(seconds))}
        console.print(f"  {name}: {channel}: {identified}/{trials} identified, {false} false, "
                      f"{np.mean(read_counts):.0f} positions read, {np.mean(seconds):.2f} s/trace")
    out["psnr_db_mean"] = float(np.mean(psnrs))
    if peers:
        out["peers"] = _run_peers(name, peer_master, ids, peer_jobs, tmp, console)
    return out, _rows(name, out)


def _rows(name: str, out: dict[str, Any]) -> list[list[str]]:
    rows = []
    for channel, got in out["channels"].items():
        peer = out.get("peers", {}).get(channel, {})
        rows.append([name, channel, str(got["trials"]), f"{got['identified'] / got['trials']:.0%}",
                     str(got["false_accusations"]), f"{got['positions_read_mean']:.0f}/{out['positions']}",
                     *(f"{peer[p]['identified'] / peer[p]['trials']:.0%} / {peer[p]['false']}" if p in peer else "-"
                       for p in ("invisible-watermark", "blind-watermark"))])
    return rows


def peers_only(report: dict[str, Any], trials: int, console: Any,
               only: str | None = None) -> tuple[dict[str, Any], list[list[str]]]:
    """The peers on the trials of an earlier run of ours (kept in ``report``): a trial's leaker is the first draw of
    its seeded generator (as in :func:`_trial`), so the peers get the same leakers and channels without re-running
    reetrace's reading."""
    got: dict[str, Any] = {}
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, master in (("text page", text_page(21)), ("diagram", diagram(22))):
            if (only is not None and name != only) or name not in report:
                continue
            ours = report[name]
            jobs = [(channel, trial, int(_seed(name, channel, trial).integers(0, COPIES)))
                    for channel in CHANNELS if channel in ours["channels"]
                    for trial in range(min(trials, ours["channels"][channel]["trials"]))]
            ids = np.random.default_rng(11).integers(0, 2, size=(COPIES, PAYLOAD_BITS))
            peer_master = master if master.ndim == 3 else cv2.cvtColor(master, cv2.COLOR_GRAY2BGR)
            started = time.perf_counter()
            got[name] = {**ours, "peers": _run_peers(name, peer_master, ids, jobs, Path(tmp), console),
                         "peers_run": {"separately": True, "seconds": time.perf_counter() - started}}
            rows += _rows(name, got[name])
    return got, rows


def _split(items: list[int], group: int = 1) -> list[list[int]]:
    """Interleaved parts, one per worker, dealt ``group`` items at a time (the decode items alternate between the
    peers, whose costs differ ten-fold: dealt in pairs, each worker gets both alike)."""
    parts = [[x for k, x in enumerate(items) if (k // group) % WORKERS == i] for i in range(WORKERS)]
    return [part for part in parts if part]


def _run_peers(name: str, master: Image, ids: np.ndarray[Any, Any], jobs: list[tuple[str, int, int]],
               tmp: Path, console: Any) -> dict[str, Any]:
    master_png = tmp / f"{name}-master.png"
    cv2.imwrite(str(master_png), master)
    leakers = sorted({j for _, _, j in jobs})
    console.print(f"  {name}: peers embed {len(leakers)} copies each")
    _peer("embed", [{"master": str(master_png), "payloads": [ids[j].tolist() for j in part],
                     "out": [str(tmp / f"{name}-{j}") for j in part]} for part in _split(leakers)])
    items, keys = [], []
    h, w = master.shape[:2]
    for channel, trial, leaker in jobs:
        for peer in ("iw", "bw"):
            copy = cv2.imread(str(tmp / f"{name}-{leaker}.{peer}.png"), cv2.IMREAD_COLOR)
            leaked = CHANNELS[channel](np.asarray(copy, dtype=np.uint8), _seed(name, channel, trial))
            if leaked.ndim == 2:
                leaked = cv2.cvtColor(leaked, cv2.COLOR_GRAY2BGR)
            path = tmp / f"{name}-{peer}-{len(items)}.png"
            cv2.imwrite(str(path), cv2.resize(leaked, (w, h), interpolation=cv2.INTER_LINEAR))
            items.append([peer, str(path), PAYLOAD_BITS])
            keys.append((channel, peer, leaker))
    console.print(f"  {name}: peers decode {len(items)} leaked pictures")
    order = _split(list(range(len(items))), group=2)
    results = [tmp / f"{name}-decoded-{i}.json" for i in range(len(order))]
    _peer("decode", [{"items": [items[k] for k in part], "result": str(result)}
                     for part, result in zip(order, results, strict=True)])
    decoded: list[Any] = [None] * len(items)
    for part, result in zip(order, results, strict=True):
        for k, bits in zip(part, json.loads(result.read_text(encoding="utf-8")), strict=True):
            decoded[k] = bits
    table = {tuple(int(b) for b in row): j for j, row in enumerate(ids.tolist())}
    out: dict[str, Any] = {}
    for (channel, peer, leaker), bits in zip(keys, decoded, strict=True):
        label = "invisible-watermark" if peer == "iw" else "blind-watermark"
        cell = out.setdefault(channel, {}).setdefault(label, {"trials": 0, "identified": 0, "false": 0})
        cell["trials"] += 1
        found = None if bits is None else table.get(tuple(bits))
        cell["identified"] += found == leaker
        cell["false"] += found is not None and found != leaker
    return out


def pictures_section(trials: int, peers: bool, console: Any,
                     only: str | None = None) -> tuple[dict[str, Any], list[list[str]]]:
    report: dict[str, Any] = {}
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, master, c in (("text page", text_page(21), 3), ("diagram", diagram(22), 2)):
            if only is not None and name != only:
                continue
            report[name], got = _picture_rows(name, master, c, trials, peers, console, Path(tmp))
            rows += got
    return report, rows


def _table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 trials per channel instead of 200")
    parser.add_argument("--trials", type=int, default=None, help="override the number of trials")
    parser.add_argument("--no-peer", action="store_true", help="skip invisible-watermark and blind-watermark")
    parser.add_argument("--sections", default="text,timing,pictures",
                        help="comma-separated subset of text,timing,pictures; results are merged into the output "
                             "file, so sections may run in separate processes")
    parser.add_argument("--identify-documents", type=int, default=None,
                        help="documents for the identification timing (0: skip it; default 100,000, quick 10,000)")
    parser.add_argument("--picture", choices=("text page", "diagram"), default=None,
                        help="only this picture in the pictures section")
    parser.add_argument("--peers-only", action="store_true",
                        help="pictures: run only the peers, on the trials of reetrace's rows already in the output")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    sections = {x.strip() for x in args.sections.split(",") if x.strip()}
    console = make_console()
    trials = args.trials or (20 if args.quick else 200)
    output = args.output or BENCH / "results" / ("leaktrace-quick.json" if args.quick else "leaktrace.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    big = 10_000 if args.quick else 100_000

    def save(key: str, value: Any, rows: list[list[str]]) -> None:
        """Merge one section into the output file (re-read first: another process may have written its part)."""
        report = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
        if isinstance(report.get(key), dict):  # a section may be run in parts (one picture, one timing)
            value = {**report[key], **value}
            rows = [r for r in report.get(f"{key}_rows", []) if r[0] not in {x[0] for x in rows}] + rows
        report.update({"quick": args.quick, "trials": trials, key: value, f"{key}_rows": rows})
        report.setdefault("machine", {})[key] = describe_machine(Path(tempfile.gettempdir()))
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    if "text" in sections:
        started = time.perf_counter()
        console.print("[bold]excerpts[/] (pasted text, 10,000 copies)")
        excerpts, text_rows = leaktrace_text.excerpts_section(trials, console)
        collusion, collusion_rows = leaktrace_text.collusion_section(trials, console)
        excerpts["text_collusion"] = collusion
        excerpts["seconds"] = time.perf_counter() - started
        save("excerpts", excerpts, text_rows + collusion_rows)
        console.print(_table(f"leak trace: pasted text, {trials} trials per row, ε₁ = 1e-6",
                             ("channel", "identified", "innocents accused", "median positions read", "decision"),
                             text_rows + collusion_rows))
    if "timing" in sections:
        console.print(f"[bold]timing[/] ({big:,} copies, {big:,} documents)")
        documents = big if args.identify_documents is None else args.identify_documents
        timing, timing_rows = leaktrace_text.timing_section(big, documents, console)
        save("timing", timing, timing_rows)
        console.print(_table("leak trace: time (SQLite, the product's code path)", ("what", "time", "result",
                                                                                    "target"), timing_rows))
    if "pictures" in sections:
        started = time.perf_counter()
        if args.peers_only:
            earlier = json.loads(output.read_text(encoding="utf-8")).get("pictures", {}) if output.exists() else {}
            pictures, rows = peers_only(earlier, trials, console, args.picture)
        else:
            pictures, rows = pictures_section(trials, not args.no_peer, console, args.picture)
            pictures["seconds"] = time.perf_counter() - started
        save("pictures", pictures, rows)
        console.print(_table(f"leak trace: pages and diagrams, {trials} trials per row, {COPIES} copies, ε₁ = 1e-6",
                             ("picture", "channel", "trials", "reetrace identified", "false", "positions read",
                              "invisible-wm ident. / false", "blind-wm ident. / false"), rows))
        for name, got in pictures.items():
            if isinstance(got, dict) and "psnr_db_mean" in got:
                console.print(f"{name}: PSNR of a copy against the reference look {got['psnr_db_mean']:.1f} dB; "
                              f"capacity {got['capacity']} positions, code {got['positions']} (c = {got['colluders']})")
    console.print(f"wrote {output.relative_to(REPO) if output.is_relative_to(REPO) else output}")


if __name__ == "__main__":
    main()
