"""A child process that appends notes to a log and reports every acknowledged index on stdout.

    python tests/support/appender.py --home DIR [--db URL] --writer W [--count N | --forever] [--max-batch B]

After each committed batch it writes one line per event, ``<index> <event id>``, and flushes: a line on stdout
means the append was acknowledged to a caller. Used by the concurrency and SIGKILL crash tests (a line cut short
by a kill has no newline and is ignored by the reader).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

from reetrace.container import build_container
from reetrace.events import Event
from reetrace.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--db", default=None)
    parser.add_argument("--writer", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--forever", action="store_true")
    parser.add_argument("--max-batch", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    container = build_container(load_settings({}, home=args.home, database_url=args.db))
    counter = itertools.count()
    remaining = args.count
    while args.forever or remaining > 0:
        size = rng.randint(1, args.max_batch)
        if not args.forever:
            size = min(size, remaining)
            remaining -= size
        events = [Event(kind="note", tenant="load", actor=f"writer-{args.writer}",
                        body={"writer": args.writer, "n": next(counter), "pad": "x" * rng.randint(0, 200)})
                  for _ in range(size)]
        appended = container.ledger.record(events)
        sys.stdout.write("".join(f"{i} {e.id}\n" for i, e in zip(appended.indices, events, strict=True)))
        sys.stdout.flush()
    container.close()
    return 0


def parse_acks(output: str) -> dict[int, str]:
    """Acknowledged ``index -> event id`` from an appender's stdout; a trailing partial line is dropped."""
    acks: dict[int, str] = {}
    complete = output[: output.rfind("\n") + 1]
    for line in complete.splitlines():
        index, event_id = line.split()
        if int(index) in acks:
            raise AssertionError(f"index {index} acknowledged twice")
        acks[int(index)] = event_id
    return acks


if __name__ == "__main__":
    sys.exit(main())
