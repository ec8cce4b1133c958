"""Screening's fast paths give what the plain comparison gives; short-word typos match only where the rest agrees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reetrace.domains.screening.features import align, load_scorer, prefill
from reetrace.domains.screening.matcher import (
    NO_MATCH,
    PartyIndex,
    Thresholds,
    compare,
    compare_forms,
    load_thresholds,
)
from reetrace.domains.screening.models import Alias, ListedParty
from reetrace.domains.screening.normalise import NameForm, name_forms

LISTED = ["Vladimir Vladimirovich Putin", "Mohammed bin Salman", "Kim Jong Un", "Hsi Chin-ping", "Xi Jinping",
          "Ali Akbar Velayati", "Deutsche Bank AG", "Gazprom Neft PJSC", "Sberbank of Russia", "Muhammad Ali",
          "J. R. R. Tolkien", "Louis XIV", "Trust 2004-1", "Abdul Hamid", "Theodore Roosevelt", "Peng Liyuan",
          "Иван Петров", "People's Liberation Army", "CVS Health Corporation", "Wang Wei"]
QUERIES = ["Vladimir Putin", "V. Putin", "Mohamed bin Salman", "Kim Jong On", "Xi Jin Ping", "Ali Velayati",
           "Deutsche Bank GmbH", "Gasprom Neft", "Sber bank", "Mohammad Aly", "John Tolkien", "Louis 14",
           "Trust 2005-1", "Abdul Ghani", "Ted Roosevelt", "Peng Li Yuan", "Ivan Petrov", "PLA", "CVC Health Corp",
           "Wang Lei", "Muhammad bin Ali Hamid"]


def test_prefilled_rows_align_as_the_plain_alignment() -> None:
    candidates = [f for name in LISTED for f in name_forms(name) if f.transform not in ("han", "hangul")]
    for query in QUERIES:
        for q in name_forms(query):
            rows: dict[str, tuple[tuple[int, float, str], ...]] = {}
            prefill(q.tokens, {t for c in candidates for t in c.tokens}, rows)
            for c in candidates:
                assert align(q.tokens, c.tokens, False, rows) == align(q.tokens, c.tokens), (query, c.tokens)


def test_index_scores_are_the_pairwise_scores() -> None:
    parties = [ListedParty("test", str(i), name, "entity" if i % 3 == 0 else "person",
                           (Alias(name.upper(), "latin"),)) for i, name in enumerate(LISTED)]
    index = PartyIndex(parties, Thresholds(0.0, {}))
    for query in QUERIES:
        for hit in index.screen(query, threshold=0.0, limit=100):
            expected = compare(query, hit.matched_name)
            assert hit.score == expected.score and hit.explanation == expected, (query, hit.matched_name)


@pytest.mark.parametrize("cut", [0.5, 0.76, 0.9])
def test_screening_at_a_threshold_stops_early_and_finds_the_same_hits(cut: float) -> None:
    """A comparison that cannot reach the lowest threshold stops early (a name word left over on each side keeps
    the score under the scorer's ceiling); the hits are those of scoring every candidate in full."""
    parties = [ListedParty("a" if i % 2 else "b", str(i), name, "person", (Alias(name.upper(), "latin"),))
               for i, name in enumerate(LISTED)]
    index = PartyIndex(parties, Thresholds(cut, {"a": cut + 0.05}))
    for query in [*QUERIES, *LISTED]:
        full = [h for h in index.screen(query, threshold=0.0, limit=1000) if h.score >= index.thresholds.of(
            h.party.list_id)]
        fast = index.screen(query, limit=1000)
        assert [(h.party.key, h.score, h.explanation) for h in fast] == [
            (h.party.key, h.score, h.explanation) for h in full], query


def test_the_early_stop_is_exact_and_in_effect() -> None:
    scorer = load_scorer()
    assert scorer.substituted_ceiling < load_thresholds().lowest()  # else screening scores every candidate in full
    [q], [c] = name_forms("Abdul Ghani"), name_forms("Abdul Hamid")
    assert 0 < compare_forms(q, c).score < scorer.substituted_ceiling
    assert compare_forms(q, c, at_least=0.7) is NO_MATCH
    [q], [c] = name_forms("Vladimir Putin"), name_forms("Vladimir Vladimirovich Putin")  # a patronymic only
    assert compare_forms(q, c, at_least=0.7) == compare_forms(q, c) and compare_forms(q, c).score >= 0.7
    assert Thresholds(0.8, {"x": 0.7, "y": 0.9}).lowest() == 0.7
    assert Thresholds(0.8, {"x": 0.7, "y": 0.9}).lowest(["y"]) == 0.9


def _tied_index() -> PartyIndex:
    names = [f"{s} Michael" for s in ("Abbott", "Brown", "Carter", "Dixon", "Evans", "Foster", "Grant", "Hughes")]
    return PartyIndex([ListedParty("t", str(i), n, "person") for i, n in enumerate([*names, "Harold Hanson"])])


def test_candidates_sharing_as_many_keys_rank_by_the_rarer_keys() -> None:
    """Every listed name shares one word and its affixes with the query: "Hanson" is the rarer, so its listing
    comes first among them, whatever order Python's string hashing gives a set."""
    index = _tied_index()
    first = index.candidates("Michael Ashley Hanson", limit=3)
    assert index.entries[first[0]][1] == "Harold Hanson"


def test_candidates_do_not_depend_on_the_hash_seed() -> None:
    script = ("from tests.screening.test_screening_speed_paths import _tied_index\n"
              "i = _tied_index()\n"
              "queries = ('Michael Ashley Hanson', 'Michael Grant')\n"
              "print([i.entries[e][1] for q in queries for e in i.candidates(q, 4)])")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parents[2],
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(1, 7)}
    assert len(outputs) == 1 and "Hanson" in outputs.pop()


def test_name_form_derived_fields() -> None:
    form = NameForm("exact", ("louis", "xiv", "2"), ("co", "limited"))
    assert form.compact == "louisxiv2" and form.letters == 9 and form.sorted_compact == "2louisxiv"
    assert form.numbers == frozenset({"2", "14"}) and form.legal_forms == frozenset({"co", "ltd"})
    assert NameForm("exact", ("a", "b")) == NameForm("exact", ("a", "b"))
    assert NameForm("pinyin", ("xi", "jinping")).sinitic() and not NameForm("exact", ("maria",)).sinitic()


@pytest.mark.parametrize(("query", "listed"), [("CVC Health Corporation", "CVS Health Corporation"),
                                               ("Kim Jong On", "Kim Jong Un"),
                                               ("Hon Wai Precision Industry Co., Ltd.",
                                                "Hon Hai Precision Industry Co., Ltd.")])
def test_one_letter_off_in_a_short_word_when_the_rest_agrees(query: str, listed: str) -> None:
    assert compare(query, listed).score >= 0.8


@pytest.mark.parametrize(("query", "listed"), [("Mohammed Ali", "Mohammed Ala"),  # one other word only
                                               ("Wang Wei", "Wang Lei"), ("Li Wei Min", "Li Wen Min"),  # Chinese
                                               ("Kim Jong Un", "Kim Jong Il"),  # two letters
                                               ("Kim Jong On", "Kim Jung Un")])  # the rest differs too
def test_short_word_typos_not_over_matched(query: str, listed: str) -> None:
    assert compare(query, listed).score < 0.55
