"""Pasted-text marks: sites in English and Chinese, rendering, and reading after the chat/mail channel."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_texts import EN_PARAGRAPHS, EN_TEXT, ZH_PARAGRAPHS, ZH_TEXT

from reetrace.domains.documents.textmarks import (
    ERASED,
    PHRASES,
    _Spans,
    channel,
    find_sites,
    read_marks,
    render,
)
from reetrace.errors import Error


def _hostile_channel(text: str) -> str:
    """What an insider or an app may do: full-width forms, zero-width characters, re-wrapped lines, NBSPs."""
    noisy = text.replace(" ", " \u200b").replace("，", "，\u200d").replace("\n", "\n\n   \t")
    noisy = noisy.replace(" ", "\u00a0", 3)
    return unicodedata.normalize("NFKC", noisy)


@pytest.mark.parametrize("text", [EN_TEXT, ZH_TEXT], ids=["en", "zh"])
def test_every_mark_survives_nfkc_whitespace_collapse_and_zero_width_removal(text: str) -> None:
    sites = find_sites(text)
    rng = random.Random(7)
    bits = [rng.randint(0, 1) for _ in sites]
    copy = render(text, sites, bits)
    pasted = channel(_hostile_channel(copy))
    assert "\u200b" not in pasted and "  " not in pasted
    reading = read_marks(text, sites, pasted)
    assert reading.bits == bits
    assert reading.read == len(sites) == reading.covered


def test_sites_cover_the_kinds_in_both_languages() -> None:
    zh = find_sites(ZH_TEXT)
    kinds = {s.kind for s in zh}
    assert kinds >= {"spacing", "unit", "number", "phrase", "date"}
    date_site = next(s for s in zh if s.kind == "date")
    assert date_site.variants == ("2026-03-01", "2026年3月1日")
    en = find_sites(EN_TEXT)
    assert {s.kind for s in en} >= {"unit", "number", "phrase"}
    assert ("12500", "12,500") in [s.variants for s in en]
    # standard numbers and years are never marked; dates in English text take the English long form
    assert all("18115" not in s.variants[0] and "9001" not in s.variants[0] for s in en + zh)
    assert not any(s.kind == "number" and s.variants[0] == "2024" for s in en)
    assert [s.variants for s in find_sites("The audit on 2026-11-23 was fine.") if s.kind == "date"] == [
        ("2026-11-23", "23 November 2026")]


def test_english_spellings_and_small_counts() -> None:
    text = ("The liquor is neutralised and analysed by two analysts, who take 3 samples per litre. "
            "## 3 Sections\nAt pH 7 samples are ORGANISED in line 4 tanks of 5 cells, and Colour is checked.")
    sites = [(s.kind, s.variants) for s in find_sites(text) if s.kind in ("spelling", "count")]
    assert sites == [("spelling", ("neutralised", "neutralized")), ("spelling", ("analysed", "analyzed")),
                     ("count", ("2", "two")), ("count", ("3", "three")), ("spelling", ("litre", "liter")),
                     ("spelling", ("Colour", "Color"))]
    # never: headings ("3 Sections"), labels (pH 7, line 4), "of 5 cells", words in capitals


def test_variants_read_the_same_and_capitalisation_is_kept() -> None:
    sites = find_sites("For example, stage 3 runs at 35 °C. Thus it is nearly done.")
    assert [s.variants for s in sites if s.kind == "phrase"] == [
        ("For example", "For instance"), ("Therefore", "Thus"), ("nearly", "almost")]
    for first, second in PHRASES:
        assert first != second and first.strip() == first and second.strip() == second
    for site in find_sites(ZH_TEXT + EN_TEXT):
        for variant in site.variants:
            assert unicodedata.normalize("NFKC", variant) == variant
            assert variant == " " or variant == variant.strip()


def test_yield_per_page() -> None:
    """The bits a page yields (the module docstring quotes these)."""
    en_per_1000 = 1000 * len(find_sites(EN_TEXT)) / len(EN_TEXT)
    zh_per_1000 = 1000 * len(find_sites(ZH_TEXT)) / len(ZH_TEXT)
    assert en_per_1000 > 20  # a 2,500-character page: 50+ bits
    assert zh_per_1000 > 150  # a 900-character page: 130+ bits


def test_an_excerpt_of_two_paragraphs_reads_only_its_sites() -> None:
    sites = find_sites(ZH_TEXT)
    bits = [i % 3 % 2 for i in range(len(sites))]
    copy = render(ZH_TEXT, sites, bits)
    excerpt = copy[copy.index("共有64级"):copy.index("质量检验")]
    reading = read_marks(ZH_TEXT, sites, channel(excerpt))
    read = [i for i, b in enumerate(reading.bits) if b != ERASED]
    assert 40 <= len(read) < len(sites)
    assert all(reading.bits[i] == bits[i] for i in read)
    inside = [i for i, s in enumerate(sites) if ZH_TEXT.index("共有64级") <= s.start < ZH_TEXT.index("质量检验")]
    assert set(read) <= set(inside)


def test_edited_sites_are_erased_never_misread() -> None:
    sites = find_sites(EN_PARAGRAPHS[0])
    bits = [0] * len(sites)
    copy = render(EN_PARAGRAPHS[0], sites, bits)
    edited = copy.replace("in order to", "to").replace("12500 kg", "12.5 t")
    reading = read_marks(EN_PARAGRAPHS[0], sites, edited)
    assert all(b in (0, ERASED) for b in reading.bits)
    assert 0 < reading.read < len(sites)


def test_unrelated_text_reads_nothing() -> None:
    sites = find_sites(EN_PARAGRAPHS[1])
    assert read_marks(EN_PARAGRAPHS[1], sites, ZH_PARAGRAPHS[0]).read == 0


def test_bad_input_is_refused_with_the_field() -> None:
    sites = find_sites(EN_PARAGRAPHS[0])
    with pytest.raises(Error, match="bits"):
        render(EN_PARAGRAPHS[0], sites, [0])
    with pytest.raises(Error, match="0 or 1"):
        render(EN_PARAGRAPHS[0], sites, [2] * len(sites))
    with pytest.raises(Error, match="text"):
        find_sites(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(Error, match="excerpt"):
        read_marks(EN_PARAGRAPHS[0], sites, None)  # type: ignore[arg-type]


def _clash(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """The overlap rule spelled out: overlapping spans, a point strictly inside a span, or the same span."""
    return any((start < e and s < end) or (start == end and s < start < e) or (s == e and start < s < end)
               or (start, end) == (s, e) for s, e in taken)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from([0, 0, 1, 2, 3, 7]), st.booleans()), max_size=80))
def test_the_span_check_is_the_overlap_rule(offers: list[tuple[int, int, bool]]) -> None:
    """``_Spans.free`` (a binary search over the taken spans) answers as the plain rule over every taken span."""
    spans, taken = _Spans(), []
    for start, length, keep in offers:
        end = start + length
        assert spans.free(start, end) == (not _clash(taken, start, end))
        if keep and spans.free(start, end):
            spans.add(start, end, "date", "a", "b")
            taken.append((start, end))
    assert [(s.start, s.end) for s in spans.sites] == taken
