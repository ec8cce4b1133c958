"""Name variants the matcher reads as one name (and near misses it must not): Chinese romanisations, nicknames,
particles, words split or run together, numbers written as words or numerals, titles, digits for letters, cores
rewritten inside a shared affix, and Japanese readings of kanji (only with the optional pykakasi)."""

from __future__ import annotations

import pytest

from reetrace.domains.screening import normalise
from reetrace.domains.screening.features import nicknames, rewritten
from reetrace.domains.screening.matcher import compare, load_thresholds
from reetrace.domains.screening.normalise import japanese_reading, name_forms
from reetrace.domains.screening.romanise import is_sinitic, readings, segmentations, wade_giles

CUT = load_thresholds().default


@pytest.mark.parametrize(("pinyin", "wade_giles_form"), [
    ("xi", "hsi"), ("jin", "chin"), ("zhang", "chang"), ("cai", "tsai"), ("xu", "hsu"), ("ze", "tse"),
    ("dong", "tung"), ("xiong", "hsiung"), ("zhi", "chih"), ("si", "ssu"), ("guo", "kuo"), ("ge", "ko"),
    ("er", "erh"), ("yan", "yen"), ("jian", "chien"),
])
def test_wade_giles_follows_the_published_rules(pinyin: str, wade_giles_form: str) -> None:
    assert wade_giles(pinyin) == wade_giles_form


def test_readings_give_every_pinyin_a_romanised_token_can_stand_for() -> None:
    assert {"zhang", "chang"} <= readings("chang")  # Wade-Giles drops the aspiration mark: both readings
    assert "jinping" in readings("chinping")  # syllables run together
    assert "zedong" in readings("tsetung")
    assert {"chen"} <= readings("chan") and {"wang", "huang"} <= readings("wong")  # Cantonese surnames
    assert readings("smith") == frozenset() and segmentations("smith") == ()
    assert readings("") == frozenset()
    assert is_sinitic(("hsi", "chin", "ping")) and not is_sinitic(("tan", "smith")) and not is_sinitic(())


@pytest.mark.parametrize(("query", "listed"), [
    ("Hsi Chin-ping", "Xi Jinping"),
    ("Mao Tse-tung", "Mao Zedong"),
    ("Tsai Ing-wen", "Cai Yingwen"),
    ("Hsu Wei", "Xu Wei"),
    ("Cheung Jianguo", "Zhang Jianguo"),  # a Cantonese spelling of the surname
    ("Ted Doe", "Theodore Doe"),  # a nickname
    ("Osama bin Laden", "Usama ibn Laden"),  # bin / ibn
    ("Bachar el-Assad", "Bashar al-Assad"),  # el / al
    ("Nikolai Patr ushev", "Nikolai Patrushev"),  # a word split in two
    ("MOHAMMAD HASNI KHAN", "MOHAMMADHASNI KHAN"),  # two words run together
    ("Apollo Investment Fund III", "Apollo Investment Fund 3"),  # numeral / digit
    ("Third Avenue Trust", "3rd Avenue Trust"),  # ordinal word / ordinal digits
    ("Dr. John Smith", "John Smith"),  # a title
    ("I9or Sech1n", "Igor Sechin"),  # digits for letters
])
def test_variants_of_one_name_match(query: str, listed: str) -> None:
    assert compare(query, listed).score >= CUT, (query, listed)


@pytest.mark.parametrize(("query", "listed"), [
    ("Tan Smith", "Dan Smith"),  # romanisations only between Chinese names: "Tan Smith" is not Chinese
    ("Ted Doe", "Ned Doe"),  # two short forms of Edward are not one name through it
    ("Apollo Fund VIII", "Apollo Fund IX"),
    ("Citigroup Mortgage Loan Trust 2007-AHL1", "Citigroup Mortgage Loan Trust 2007-AHL2"),  # codes keep digits
    ("Valentina Perez", "Valentina Nikolaevna Zenkevich"),  # a surname ending like a patronymic is not optional
    ("Anthony Smith", "Chan Sum-tai Anthony"),  # run-together words match by spelling, not by sound alone
])
def test_near_misses_do_not_match(query: str, listed: str) -> None:
    assert compare(query, listed).score < CUT, (query, listed)


def test_a_rewritten_core_is_a_feature_with_its_own_weight() -> None:
    assert rewritten("hamidullah", "waliullah") and rewritten("jonsdottir", "tomasdottir")
    assert not rewritten("aleksandr", "alexander") and not rewritten("mohammed", "muhammad")
    assert not rewritten("schulze", "scholz")
    result = compare("NAZIRULLAH HANAFI HAMIDULLAH", "NAZIRULLAH HANAFI WALIULLAH")
    feature = {f: (v, c) for f, v, c in result.features}["rewritten"]
    assert feature[0] == 1.0 and feature[1] < 0  # a shared -ullah is weaker evidence than a shared name


def test_explanations_name_the_kind_of_match() -> None:
    assert compare("Hsu Wei", "Xu Wei").transform == "romanised"
    assert compare("Ted Doe", "Theodore Doe").transform == "nickname"
    joined = compare("Nikolai Patr ushev", "Nikolai Patrushev")
    assert joined.transform == "joined" and ("patrushev", "patrushev") in [(m.query, m.candidate)
                                                                            for m in joined.matched]


def test_nicknames_go_both_ways_and_company_forms_in_polish_and_russian_are_set_aside() -> None:
    assert "theodore" in nicknames()["ted"] and "ted" in nicknames()["theodore"]
    [faberlic] = name_forms("FABERLIC EUROPE Sp. z o.o.")
    assert (faberlic.tokens, faberlic.forms) == (("faberlic", "europe"), ("spzoo",))
    [ano] = name_forms("ANO Iskusstvo Krasoty")
    assert ano.forms == ("ano",)
    other_form = compare("ANO Iskusstvo Krasoty", "OOO Iskusstvo Krasoty")  # the same words: a hit, the forms noted
    assert "company forms differ" in other_form.notes
    [title_only] = name_forms("Dr")
    assert title_only.tokens == ("dr",)  # a title alone stays the name


def test_japanese_readings_when_pykakasi_is_installed() -> None:
    pytest.importorskip("pykakasi")
    assert japanese_reading("山田太郎") == ("yamada", "taro")
    assert compare("山田太郎", "Yamada Taro").score >= CUT
    assert compare("田中花子", "Tanaka Hanako").score >= CUT
    assert japanese_reading("华为") == ()  # simplified characters with no Japanese reading: no form
    assert not any(f.transform == "transliteration" for f in name_forms("华为技术有限公司"))  # companies: pinyin only


def test_without_pykakasi_kanji_are_read_as_pinyin_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalise, "kakasi", lambda: None)
    japanese_reading.cache_clear()
    try:
        assert japanese_reading("山田太郎") == ()
    finally:
        japanese_reading.cache_clear()
