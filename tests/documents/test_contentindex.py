"""Containment index: excerpts of 2-3 sentences found in the right document and version among 200 documents."""

from __future__ import annotations

import io
import json
import random

import numpy as np
import pytest

from reetrace.domains.documents import contentindex as ci
from reetrace.errors import Error

SYLLABLES = ["ka", "ro", "mi", "ten", "sul", "dar", "ex", "pho", "lin", "gra", "vo", "nex", "tri", "um", "sel"]
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 1_500)]


def _english_words(rng: random.Random) -> list[str]:
    words = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(4_000)}
    return sorted(words)


WORDS = _english_words(random.Random(1))


def _sentence(rng: random.Random, chinese: bool) -> str:
    if chinese:
        body = "".join(HAN[min(int(rng.paretovariate(0.9)) - 1, len(HAN) - 1)] if rng.random() < 0.3
                       else rng.choice(HAN) for _ in range(rng.randint(14, 30)))
        return body[:8] + "，" + body[8:] + "。"
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def _document(rng: random.Random, chinese: bool, sentences: int = 60) -> list[str]:
    return [_sentence(rng, chinese) for _ in range(sentences)]


def _join(sentences: list[str], chinese: bool) -> str:
    return ("" if chinese else " ").join(sentences)


Corpus = tuple[ci.ContentIndex, dict[tuple[str, str], list[str]]]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    """200 documents (half Chinese), each in two versions; v2 rewrites every tenth sentence."""
    rng = random.Random(20_261_206)
    index, texts = ci.ContentIndex(), {}
    for number in range(200):
        chinese = number % 2 == 1
        v1 = _document(rng, chinese)
        v2 = [(_sentence(rng, chinese) if i % 10 == 5 else s) for i, s in enumerate(v1)]
        for version, sentences in (("1", v1), ("2", v2)):
            document = f"RT-DOC-2026-{number:06d}"
            texts[(document, version)] = sentences
            index.add(document, version, _join(sentences, chinese))
    return index, texts


@pytest.mark.parametrize("number", [10, 11, 57, 198, 199])
def test_excerpt_with_a_changed_sentence_finds_document_and_version(corpus: Corpus, number: int) -> None:
    index, texts = corpus
    chinese = number % 2 == 1
    document = f"RT-DOC-2026-{number:06d}"
    sentences = texts[(document, "2")]
    excerpt = _join(sentences[24:27], chinese)  # sentence 25 differs between the versions
    result = index.query(excerpt)
    assert result.found and result.best is not None
    assert (result.best.document, result.best.version) == (document, "2")
    assert result.best.containment == 1.0
    assert result.tied_versions == []
    full = _join(sentences, chinese)
    start, end = result.best.spans[0][0], result.best.spans[-1][1]
    at = full.index(excerpt)
    assert at <= start < end <= at + len(excerpt)  # the matched spans lie inside the excerpt's place
    assert end - start >= 0.7 * len(excerpt)
    assert all(m.document != document or m.version == "1" for m in result.matches[1:])


def test_excerpt_of_an_unchanged_passage_reports_both_versions_tied(corpus: Corpus) -> None:
    index, texts = corpus
    document = "RT-DOC-2026-000042"
    result = index.query(_join(texts[(document, "1")][1:4], chinese=False))
    assert result.best is not None and result.best.document == document
    assert sorted(result.tied_versions) == ["1", "2"]


@pytest.mark.parametrize("number", [20, 21, 120, 121])
def test_edited_excerpt_is_still_found(corpus: Corpus, number: int) -> None:
    index, texts = corpus
    rng = random.Random(number)
    chinese = number % 2 == 1
    document = f"RT-DOC-2026-{number:06d}"
    sentences = texts[(document, "1")][30:33]
    if chinese:
        chars = list(_join(sentences, True))
        for position in rng.sample(range(len(chars)), 3):
            chars[position] = rng.choice(HAN)
        excerpt = "".join(chars)
    else:
        words = _join(sentences, False).split()
        for position in rng.sample(range(len(words)), 3):
            words[position] = rng.choice(WORDS)
        excerpt = " ".join(words)
    result = index.query(excerpt)
    assert result.best is not None and result.best.document == document
    assert 0.2 <= result.best.containment < 1.0


def test_channel_damage_does_not_hide_the_source(corpus: Corpus) -> None:
    index, texts = corpus
    english = _join(texts[("RT-DOC-2026-000088", "2")][40:43], False)
    damaged = english.upper().replace(" ", " \u200b\t ").replace(".", "．")
    chinese = _join(texts[("RT-DOC-2026-000089", "2")][40:43], True)
    spaced = " \n".join(chinese).replace("，", ",")
    assert index.query(damaged).best.document == "RT-DOC-2026-000088"  # type: ignore[union-attr]
    assert index.query(spaced).best.document == "RT-DOC-2026-000089"  # type: ignore[union-attr]


@pytest.mark.parametrize("chinese", [False, True])
def test_unrelated_text_is_not_found(corpus: Corpus, chinese: bool) -> None:
    index, _ = corpus
    rng = random.Random(99 + chinese)
    for _ in range(20):
        result = index.query(_join(_document(rng, chinese, 3), chinese))
        assert not result.found
        assert result.best is None and result.best_containment < 0.2


def test_real_prose_in_both_languages() -> None:
    index = ci.ContentIndex()
    english = ("Sintering of NdFeB magnets takes place at 1,050 °C under vacuum. The green compacts are loaded onto "
               "molybdenum trays. After sintering the parts are annealed twice, first at 900 °C and then at 500 °C, "
               "to develop coercivity. Every furnace batch is logged with its oxygen content.")
    chinese = ("钕铁硼磁体在真空条件下于１０５０℃烧结。生坯装入钼制料盘。烧结后零件须经两次回火，先在９００℃，"
               "再在５００℃，以提高矫顽力。每一炉次均记录其氧含量。")
    index.add("RT-DOC-2026-000001", "1", english)
    index.add("RT-DOC-2026-000002", "1", chinese)
    index.add("RT-DOC-2026-000003", "1", "An unrelated memo about the canteen menu for next week and parking.")
    found = index.query("after sintering, the parts are annealed twice — first at 900 °C and then at 500 °C")
    assert found.best is not None and found.best.document == "RT-DOC-2026-000001"
    assert len(found.best.spans) == 1
    start, end = found.best.spans[0]
    assert "the parts are annealed twice, first at 900 °C and then at" in english[start:end]
    assert english.index("After sintering") <= start
    zh = index.query("烧结后零件须经两次回火，先在900℃，再在500℃")
    assert zh.best is not None and zh.best.document == "RT-DOC-2026-000002" and zh.best.containment == 1.0
    assert not index.query("the canteen will serve noodles and rice on Friday in the main hall").found


def test_normalise_handles_width_case_and_invisible_characters() -> None:
    assert ci.normalise("ＡＢＣ，ｄｅｆ\u200b!　１２３") == "abc def 123"
    assert ci.normalise("Ca\u0301fe\u0301 CAFÉ") == "cafe cafe"
    assert ci.normalise("稀土，永磁。") == "稀 土 永 磁"
    assert ci.normalise("") == ""


def test_winnowing_density_and_guarantee() -> None:
    rng = random.Random(3)
    text = " ".join(rng.choice(WORDS) for _ in range(5_000))
    params = ci.Params(k=5, w=4)
    prints = ci.fingerprint(text, params)
    assert 0.3 < len(prints) / prints.tokens < 0.5  # expected density 2/(w+1) = 0.4
    words = text.split()
    index = ci.ContentIndex(params)
    index.add("D", "1", text)
    shared = " ".join(words[1_000:1_000 + params.guarantee])
    result = index.query(shared, threshold=0.01)
    assert result.best is not None and result.best.document == "D"


def test_serialised_index_answers_the_same(corpus: Corpus) -> None:
    index, texts = corpus
    restored = ci.ContentIndex.load(index.dump())
    assert len(restored) == len(index) == 400 and restored.postings == index.postings
    excerpt = _join(texts[("RT-DOC-2026-000077", "2")][20:23], True)
    assert restored.query(excerpt) == index.query(excerpt)


def _invalid(call: object, where: str) -> None:
    with pytest.raises(Error) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == "invalid_content"
    assert caught.value.details[0].location == where


def test_bad_input_is_rejected_with_its_name() -> None:
    index = ci.ContentIndex()
    index.add("D", "1", "one two three four five six seven eight nine ten")
    _invalid(lambda: index.add("D", "1", "one two three four five six"), "version")
    _invalid(lambda: index.add("", "1", "one two three four five six"), "document")
    _invalid(lambda: index.add("E", " ", "one two three four five six"), "version")
    _invalid(lambda: index.add("E", "1", "too short"), "text")
    _invalid(lambda: index.add("E", "1", b"bytes"), "text")  # type: ignore[arg-type]
    _invalid(lambda: index.query("two words"), "excerpt")
    _invalid(lambda: index.query("   "), "excerpt")
    _invalid(lambda: index.query(None), "excerpt")  # type: ignore[arg-type]
    _invalid(lambda: index.query("one two three four five six", threshold=0), "threshold")
    _invalid(lambda: index.query("one two three four five six", limit=0), "limit")
    _invalid(lambda: index.query("one two three four five six", min_matched=0), "min_matched")
    _invalid(lambda: ci.Params(k=0), "k")
    _invalid(lambda: ci.ContentIndex.load(b"not an index"), "data")
    stored = index.dump()
    assert ci.ContentIndex.load(stored).entries() == [("D", "1")]
    _invalid(lambda: ci.ContentIndex.load(stored.replace(b"reetrace.contentindex.v1", b"reetrace.contentindex.v9")),
             "data")  # damaged archive
    _invalid(lambda: ci.ContentIndex.load(_archive({"format": "other"})), "data")
    assert len(index) == 1 and index.entries() == [("D", "1")]  # nothing half-written by the rejected calls
    _invalid(lambda: ci.ContentIndex.load(_archive({"format": ci.FORMAT, "k": "x", "w": 3, "entries": []})), "data")


def _archive(header: dict[str, object]) -> bytes:
    buffer = io.BytesIO()
    empty = np.zeros(0, dtype=np.int64)
    np.savez(buffer, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
             hashes=empty.astype(np.uint64), entry=empty, start=empty, end=empty)
    return buffer.getvalue()


def test_one_shared_phrase_is_not_a_source() -> None:
    rng = random.Random(8)
    phrase = "the sintered blocks are sliced into wafers"
    index = ci.ContentIndex()
    index.add("D", "1", " ".join(rng.choice(WORDS) for _ in range(300)) + " " + phrase + " end")
    excerpt = " ".join(rng.choice(WORDS) for _ in range(6)) + " " + phrase + " " + " ".join(
        rng.choice(WORDS) for _ in range(3))
    loose = index.query(excerpt, threshold=0.01, min_matched=1)
    assert loose.found and loose.best is not None and loose.best.matched < 2  # one coincidence only
    assert not index.query(excerpt, threshold=0.01).found  # the default needs two shared fingerprints
