"""Fitting the scorer's weights (:class:`.features.Scorer`) on labelled name pairs: L2-regularised logistic
regression by Newton's method, in numpy. Used by ``bench/screening.py --train`` on the benchmark's dev half only;
the weights are written to ``scorer.toml`` as data."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .features import COMMON, FEATURES, GUARDS, Scorer, align_forms, name_features
from .matcher import NATIVE, compare_forms
from .normalise import name_forms


def pair_features(query: str, candidate: str) -> dict[str, float] | None:
    """The features of the form pair :func:`.matcher.compare` would rest on (None for a character-by-character or
    short-name comparison, which the scorer does not decide)."""
    best: tuple[float, dict[str, float]] | None = None
    for q in name_forms(query):
        for c in name_forms(candidate):
            if q.transform in NATIVE or c.transform in NATIVE or len(q.compact) < 4 or len(c.compact) < 4:
                continue
            result = compare_forms(q, c)
            if not result.features:
                continue
            alignment = align_forms(q, c)
            spacing = result.transform == "spacing"
            run = result.matched[0].similarity if spacing else 0.0
            features = name_features(q, c, alignment, run)
            if best is None or result.score > best[0]:
                best = (result.score, features)
    return best[1] if best else None


def fit(rows: Sequence[dict[str, float]], labels: Sequence[bool], l2: float = 1.0, source: str = "") -> Scorer:
    """Logistic regression over :data:`FEATURES` (bias not penalised). The :data:`GUARDS` are fitted with the rest,
    then their set weights replace the fitted ones: pairs whose labels the guards overrule (the benchmark calls
    "Trust 2004-1" and "Trust 2005-1" one party) are explained by the guards' fitted weights and do not bend the
    others (fitted with the guards' set weights held fixed, the bias rose to lift those pairs, and 1 % of the
    synthetic negatives then scored 0.82 or more instead of 0.77). The fitted guard weights are kept for the record
    (:attr:`.Scorer.fitted`)."""
    if not rows or len(rows) != len(labels):
        raise ValueError(f"fit: {len(rows)} feature rows for {len(labels)} labels")
    learned = list(FEATURES)
    x = np.array([[1.0] + [r[k] for k in learned] for r in rows])
    y = np.array([1.0 if v else 0.0 for v in labels])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    fitted = {k: round(float(v), 4) for k, v in zip(learned, w[1:], strict=True)}
    weights = fitted | GUARDS
    return Scorer(round(float(w[0]), 4), {k: weights[k] for k in FEATURES}, source,
                  {k: fitted[k] for k in GUARDS})


def scorer_toml(scorer: Scorer) -> str:
    lines = ["# The name scorer's weights (logistic regression over the features in features.py), written by",
             "# `bench/screening.py --train` from the dev half of name_bench only. Contributions are weight x value.",
             f"source = {json.dumps(scorer.source)}", f"bias = {scorer.bias}", "", "[weights]"]
    lines += [f"{k} = {scorer.weights.get(k, 0.0)}"
              + (f"  # set (fitted: {scorer.fitted[k]})" if k in scorer.fitted else "") for k in FEATURES]
    return "\n".join(lines) + "\n"


def name_frequencies(names: Iterable[str], floor: int = COMMON) -> dict[str, int]:
    """In how many of ``names`` each name part occurs (only parts in at least ``floor`` names)."""
    counts: Counter[str] = Counter()
    for name in names:
        counts.update({t for form in name_forms(name) if form.transform not in NATIVE for t in form.tokens})
    return {t: n for t, n in sorted(counts.items()) if n >= floor}


def frequencies_toml(frequencies: dict[str, int], source: str) -> str:
    lines = ["# Name parts common on the loaded lists, and in how many listed names each occurs; written by",
             "# `bench/screening.py --train`. A match on a common part is weaker evidence (feature `common`).",
             f"source = {json.dumps(source)}", "", "[names]"]
    lines += [f"{json.dumps(t)} = {n}" for t, n in frequencies.items()]
    return "\n".join(lines) + "\n"
