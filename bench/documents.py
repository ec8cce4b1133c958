"""Documents benchmark: Tardos accusation and false-accusation estimate, the containment index, datasketch peers.

    .venv/bin/python bench/documents.py            # full run: 200 collusion trials per attack, peers on 10k docs
    .venv/bin/python bench/documents.py --quick    # smoke run (a few minutes): 20 trials per attack, peers on 2k

1. **Tardos** (``reetrace.domains.documents.tardos``): code lengths from :func:`code_length`; codebook generation
   and accusation time for n = 10,000 recipients at m = 1,000 positions (3 colluders, interleaving attack, median
   of 5 accusations); the operational (Chernoff) and Bernstein thresholds at ε₁ = 10⁻⁶ and the importance-sampling
   estimate of the per-innocent false-accusation probability at the threshold used; collusion trials (c = 3,
   n = 1,000, m = code_length(3, 10⁻⁶)) per attack: share of trials naming a colluder, innocents accused.
2. **Content index**: 10,000 generated documents (half Chinese, half English, 40 sentences each; full run 120),
   build rate (documents/s and MB/s of UTF-8 text, sorting included) and query latency for 200 excerpts of 2-3
   sentences (half with three words or characters replaced) plus 100 unrelated excerpts.
3. **Peers** on the same excerpts over the first 2,000 documents (full run: all 10,000): datasketch ``MinHashLSH``
   (resemblance, i.e. Jaccard) and ``MinHashLSHEnsemble`` (containment), 128 permutations over the same
   normalised token 5-grams, against the winnowing index, at several thresholds: recall (share of excerpts whose
   source is among the candidates) and precision (share of all returned candidates that are the source, over
   related and unrelated excerpts).

Prints Rich tables and writes ``bench/results/documents.json`` (quick: ``documents-quick.json``) with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH), str(REPO / "src")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402
from datasketch import MinHash, MinHashLSH, MinHashLSHEnsemble  # noqa: E402
from rich.table import Table  # noqa: E402

from ledger_support import describe_machine, make_console  # noqa: E402
from reetrace.domains.documents import contentindex as ci  # noqa: E402
from reetrace.domains.documents import tardos  # noqa: E402

SEED = 20_261_207
KEY = b"bench-documents-key-0123456789abcdef"
SYLLABLES = ["ka", "ro", "mi", "ten", "sul", "dar", "ex", "pho", "lin", "gra", "vo", "nex", "tri", "um", "sel", "ba"]
Doc = tuple[str, bool, list[str]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 trials per attack, peers on 2k docs")
    parser.add_argument("--output", type=Path, default=None, help="JSON file to write (default bench/results/...)")
    return parser.parse_args(argv)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


# ----------------------------------------------------------------------------------------------- Tardos
def measure_tardos(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    lengths = {f"c={c}": {"1e-6": tardos.code_length(c, 1e-6), "1e-10": tardos.code_length(c, 1e-10)}
               for c in (1, 2, 3, 5)}
    code = tardos.generate_code(KEY, "RT-DOC-2026-000001@1", colluders=3, length=1_000,
                                cutoff=tardos.design(3, 1e-6).cutoff)
    names = [f"RT-COPY-{i:06d}" for i in range(10_000)]
    started = time.perf_counter()
    book = tardos.codebook(KEY, code, names)
    generation = time.perf_counter() - started
    guilty = rng.choice(len(names), size=3, replace=False)
    pirate = tardos.collude(book[guilty], "interleaving", rng)
    times, result = [], None
    for _ in range(5):
        started = time.perf_counter()
        result = tardos.accuse(code, names, book, pirate)
        times.append(time.perf_counter() - started)
    assert result is not None
    estimate = tardos.estimate_false_accusation(code, pirate, result.threshold,
                                                samples=20_000 if quick else 200_000, seed=1)
    guilty_names = {names[j] for j in guilty}
    return {
        "code_length": lengths,
        "n": len(names), "m": code.length, "cutoff": code.cutoff,
        "codebook_s": round(generation, 3), "accuse_ms_median": _ms(statistics.median(times)),
        "threshold_operational": round(result.threshold, 2),
        "threshold_bernstein": round(result.bernstein_threshold, 2),
        "accused_colluders": sum(s.recipient in guilty_names for s in result.accused),
        "accused_innocents": sum(s.recipient not in guilty_names for s in result.accused),
        "fp_estimate": estimate.probability, "fp_std_error": estimate.std_error, "fp_samples": estimate.samples,
        "fp_chernoff_bound": estimate.chernoff_bound, "eps1": 1e-6,
        "trials": collusion_trials(20 if quick else 200, rng),
    }


def collusion_trials(trials: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    names = [f"RT-COPY-{i:05d}" for i in range(1_000)]
    rows = []
    for attack in tardos.ATTACKS:
        caught = innocents = 0
        started = time.perf_counter()
        for trial in range(trials):
            code = tardos.generate_code(KEY, f"trial-{attack}-{trial}", colluders=3)
            book = tardos.codebook(KEY, code, names)
            guilty = set(rng.choice(len(names), size=3, replace=False).tolist())
            result = tardos.accuse(code, names, book, tardos.collude(book[sorted(guilty)], attack, rng), top=10)
            accused = {names.index(s.recipient) for s in result.accused}
            caught += bool(accused & guilty)
            innocents += len(accused - guilty)
        rows.append({"attack": attack, "trials": trials, "caught": caught, "innocents_accused": innocents,
                     "seconds": round(time.perf_counter() - started, 2)})
    return rows


# ----------------------------------------------------------------------------------------------- corpus
class Writer:
    """Zipf-distributed synthetic prose: pseudo-words for English, common-range Han characters for Chinese."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(8_000)})
        rng.shuffle(words)
        self.words = words
        self.han = [chr(c) for c in range(0x4E00, 0x4E00 + 3_500)]
        self.word_weights = list(accumulate(1 / (i + 1) for i in range(len(self.words))))
        self.han_weights = list(accumulate(1 / (i + 1) ** 0.8 for i in range(len(self.han))))

    def sentence(self, chinese: bool) -> str:
        if chinese:
            body = "".join(self.rng.choices(self.han, cum_weights=self.han_weights, k=self.rng.randint(15, 35)))
            return body[:10] + "，" + body[10:] + "。"
        words = self.rng.choices(self.words, cum_weights=self.word_weights, k=self.rng.randint(8, 20))
        return " ".join(words).capitalize() + "."

    def document(self, chinese: bool, sentences: int) -> list[str]:
        return [self.sentence(chinese) for _ in range(sentences)]


def join(sentences: list[str], chinese: bool) -> str:
    return ("" if chinese else " ").join(sentences)


def excerpts(writer: Writer, docs: list[Doc], count: int, within: int) -> list[tuple[str | None, str, bool]]:
    """(source or None, excerpt, edited): 2-3 sentences, every second one with three tokens replaced; then unrelated."""
    rng, out = writer.rng, []
    for number in range(count):
        document, chinese, sentences = docs[rng.randrange(within)]
        start = rng.randrange(len(sentences) - 3)
        text = join(sentences[start:start + rng.choice((2, 3))], chinese)
        edited = number % 2 == 1
        if edited and chinese:
            chars = list(text)
            for position in rng.sample(range(len(chars)), 3):
                chars[position] = rng.choice(writer.han)
            text = "".join(chars)
        elif edited:
            words = text.split()
            for position in rng.sample(range(len(words)), 3):
                words[position] = rng.choice(writer.words)
            text = " ".join(words)
        out.append((document, text, edited))
    for number in range(count // 2):
        chinese = number % 2 == 1
        out.append((None, join(writer.document(chinese, rng.choice((2, 3))), chinese), False))
    return out


# ----------------------------------------------------------------------------------------------- index + peers
def measure_index(docs: list[Doc], queries: list[tuple[str | None, str, bool]]) -> dict[str, Any]:
    texts = [join(sentences, chinese) for _, chinese, sentences in docs]
    size = sum(len(t.encode("utf-8")) for t in texts)
    index = ci.ContentIndex()
    started = time.perf_counter()
    for (document, _, _), text in zip(docs, texts, strict=True):
        index.add(document, "1", text)
    index.settle()
    build = time.perf_counter() - started
    latencies, right, right_edited, false_matches = [], 0, 0, 0
    for source, text, edited in queries:
        started = time.perf_counter()
        result = index.query(text)
        latencies.append(time.perf_counter() - started)
        top = result.best.document if result.best else None
        if source is None:
            false_matches += result.found
        elif top == source:
            right += not edited
            right_edited += edited
    related = [q for q in queries if q[0] is not None]
    return {
        "documents": len(docs), "megabytes": round(size / 1e6, 1), "postings": index.postings,
        "build_s": round(build, 2), "docs_per_s": round(len(docs) / build), "mb_per_s": round(size / 1e6 / build, 2),
        "query_ms_median": _ms(statistics.median(latencies)),
        "query_ms_p95": _ms(sorted(latencies)[int(0.95 * len(latencies))]),
        "exact_top1": f"{right}/{sum(not q[2] for q in related)}",
        "edited_top1": f"{right_edited}/{sum(q[2] for q in related)}",
        "unrelated_matched": f"{false_matches}/{len(queries) - len(related)}",
    }


def _minhash(grams: np.ndarray) -> MinHash:
    sketch = MinHash(num_perm=128, hashfunc=int)
    sketch.update_batch((np.unique(grams) >> np.uint64(32)).tolist())
    return sketch


def _score(method: str, threshold: float, found: list[list[str]], queries: list[tuple[str | None, str, bool]],
           seconds: float) -> dict[str, Any]:
    related = [(src, cands) for (src, _, _), cands in zip(queries, found, strict=True) if src is not None]
    hits = sum(src in cands for src, cands in related)
    returned = sum(len(c) for c in found)
    return {"method": method, "threshold": threshold, "recall": round(hits / len(related), 3),
            "precision": round(hits / returned, 3) if returned else None,
            "candidates_per_query": round(returned / len(queries), 2), "query_ms": _ms(seconds / len(queries))}


def measure_peers(docs: list[Doc], queries: list[tuple[str | None, str, bool]]) -> dict[str, Any]:
    texts = {document: join(sentences, chinese) for document, chinese, sentences in docs}
    started = time.perf_counter()
    sketches = {document: (_minhash(g := ci.shingles(text)), len(np.unique(g))) for document, text in texts.items()}
    sketch_s = time.perf_counter() - started
    query_sketches = [(_minhash(g := ci.shingles(text)), len(np.unique(g))) for _, text, _ in queries]
    rows = []
    for threshold in (0.5, 0.2, 0.1):
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        for document, (sketch, _) in sketches.items():
            lsh.insert(document, sketch)
        started = time.perf_counter()
        found = [list(lsh.query(sketch)) for sketch, _ in query_sketches]
        rows.append(_score("datasketch MinHashLSH (Jaccard)", threshold, found, queries, time.perf_counter() - started))
    for threshold in (0.8, 0.5, 0.3):
        ensemble = MinHashLSHEnsemble(threshold=threshold, num_perm=128, num_part=16)
        ensemble.index((document, sketch, size) for document, (sketch, size) in sketches.items())
        started = time.perf_counter()
        found = [list(ensemble.query(sketch, size)) for sketch, size in query_sketches]
        rows.append(_score("datasketch MinHashLSHEnsemble (containment)", threshold, found, queries,
                           time.perf_counter() - started))
    index = ci.ContentIndex()
    for document, text in texts.items():
        index.add(document, "1", text)
    index.settle()
    for threshold in (0.5, 0.2, 0.1):
        started = time.perf_counter()
        found = [[m.document for m in index.query(text, threshold=threshold, limit=50).matches]
                 for _, text, _ in queries]
        rows.append(_score("reetrace winnowing (containment)", threshold, found, queries,
                           time.perf_counter() - started))
    return {"documents": len(docs), "minhash_ms_per_doc": _ms(sketch_s / len(docs)), "rows": rows}


# ----------------------------------------------------------------------------------------------- report
def print_report(report: dict[str, Any]) -> None:
    console = make_console()
    t = report["tardos"]
    table = Table(title=f"Tardos: n={t['n']:,} recipients, m={t['m']:,}, c=3, eps1=1e-6")
    for column in ("measure", "value"):
        table.add_column(column)
    for name, value in (
        ("code length c=1/2/3/5 at 1e-6", " / ".join(str(v["1e-6"]) for v in t["code_length"].values())),
        ("code length c=1/2/3/5 at 1e-10", " / ".join(str(v["1e-10"]) for v in t["code_length"].values())),
        ("codebook generation (s)", t["codebook_s"]),
        ("accusation, median of 5 (ms)", t["accuse_ms_median"]),
        ("threshold operational / Bernstein", f"{t['threshold_operational']} / {t['threshold_bernstein']}"),
        ("accused colluders / innocents", f"{t['accused_colluders']} / {t['accused_innocents']}"),
        ("FP estimate at threshold (IS)", f"{t['fp_estimate']:.2e} ± {t['fp_std_error']:.1e} ({t['fp_samples']:,})"),
        ("FP Chernoff bound at threshold", f"{t['fp_chernoff_bound']:.2e}"),
    ):
        table.add_row(name, str(value))
    console.print(table)
    trials = Table(title="Tardos collusion trials: c=3, n=1,000, m=code_length(3, 1e-6)")
    for column in ("attack", "trials", "colluder named", "innocents accused", "s"):
        trials.add_column(column)
    for row in t["trials"]:
        trials.add_row(row["attack"], str(row["trials"]), str(row["caught"]), str(row["innocents_accused"]),
                       str(row["seconds"]))
    console.print(trials)
    i = report["index"]
    index = Table(title=f"Content index: {i['documents']:,} documents, {i['megabytes']} MB, {i['postings']:,} postings")
    for column in ("build s", "docs/s", "MB/s", "query ms median", "p95", "exact top-1", "edited top-1",
                   "unrelated matched"):
        index.add_column(column)
    index.add_row(*(str(i[k]) for k in ("build_s", "docs_per_s", "mb_per_s", "query_ms_median", "query_ms_p95",
                                         "exact_top1", "edited_top1", "unrelated_matched")))
    console.print(index)
    p = report["peers"]
    peers = Table(title=f"Excerpt -> source on {p['documents']:,} documents (MinHash {p['minhash_ms_per_doc']} ms/doc)")
    for column in ("method", "threshold", "recall", "precision", "candidates/query", "query ms"):
        peers.add_column(column)
    for row in p["rows"]:
        peers.add_row(row["method"], str(row["threshold"]), str(row["recall"]), str(row["precision"]),
                      str(row["candidates_per_query"]), str(row["query_ms"]))
    console.print(peers)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = args.output or BENCH / "results" / ("documents-quick.json" if args.quick else "documents.json")
    report: dict[str, Any] = {"benchmark": "documents", "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="reetrace-bench-documents-") as tmp:
        report["machine"] = describe_machine(Path(tmp))
    report["tardos"] = measure_tardos(args.quick)
    writer = Writer(random.Random(SEED))
    sentences = 40 if args.quick else 120
    docs = [(f"RT-DOC-2026-{n:06d}", n % 2 == 1, writer.document(n % 2 == 1, sentences)) for n in range(10_000)]
    peer_count = 2_000 if args.quick else 10_000
    queries = excerpts(writer, docs, 200, peer_count)
    report["index"] = measure_index(docs, queries)
    report["peers"] = measure_peers(docs[:peer_count], queries)
    print_report(report)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = output.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp_out, output)
    make_console().print(f"written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
