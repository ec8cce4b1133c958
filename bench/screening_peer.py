"""The peer for bench/screening.py: nomenklatura's logic-v2 matcher, run inside bench/.peer-venv.

    bench/.peer-venv/bin/python bench/screening_peer.py PAIRS.json SCORES.json

PAIRS.json is a list of [schema, name1, name2]; SCORES.json receives the list of scores in the same order.
Each name becomes a one-property entity, so logic-v2's name pathway carries the whole verdict.
"""

from __future__ import annotations

import json
import sys
import time
from uuid import uuid4


def main() -> None:
    from followthemoney import ValueEntity, model
    from nomenklatura.matching.logic_v2.model import LogicV2

    config = LogicV2.default_config()
    with open(sys.argv[1], encoding="utf-8") as handle:
        pairs = json.load(handle)
    scores = []
    started = time.perf_counter()
    for schema_name, name1, name2 in pairs:
        schema = model.get(schema_name) or model.get("LegalEntity")
        query = ValueEntity(schema, {"id": uuid4().hex})
        query.add("name", name1)
        candidate = ValueEntity(schema, {"id": uuid4().hex})
        candidate.add("name", name2)
        scores.append(float(LogicV2.compare(query, candidate, config).score))
    elapsed = time.perf_counter() - started
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump({"scores": scores, "seconds": elapsed}, handle)


if __name__ == "__main__":
    main()
