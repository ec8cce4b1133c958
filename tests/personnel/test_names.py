"""Name variants: Han characters, pinyin (surname readings, order, spacing, ü), Latin (case, diacritics, hyphens)."""

from __future__ import annotations

import pytest
from pypinyin import Style, pinyin

from reetrace.domains.personnel.names import (
    COMPOUND_SURNAMES,
    SURNAME_READINGS,
    NameMatch,
    latin_words,
    match_name,
    name_keys,
    query_keys,
    romanise,
)


def test_han_and_pinyin_keys_in_both_orders_with_and_without_spaces() -> None:
    assert name_keys("张伟", None) == {"张伟", "zhang wei", "wei zhang", "zhangwei", "weizhang"}


def test_given_name_is_one_word() -> None:
    keys = name_keys("张小平", None)
    assert {"zhang xiaoping", "xiaoping zhang", "zhangxiaoping", "xiaopingzhang"} <= keys
    assert "zhang xiao ping" not in keys


@pytest.mark.parametrize(("name", "expected"), [
    ("单雄信", "shan xiongxin"),  # pypinyin's everyday reading is dan
    ("曾国藩", "zeng guofan"),  # everyday reading ceng
    ("解缙", "xie jin"),
    ("仇英", "qiu ying"),
    ("区家明", "ou jiaming"),
    ("欧阳修", "ouyang xiu"),  # compound surname
    ("司马光", "sima guang"),
    ("尉迟恭", "yuchi gong"),
])
def test_surname_readings(name: str, expected: str) -> None:
    keys = name_keys(name, None)
    assert expected in keys
    surname, given = expected.split()
    assert f"{given} {surname}" in keys and f"{surname}{given}" in keys


def test_everyday_reading_of_a_surname_is_not_a_key() -> None:
    assert "dan xiongxin" not in name_keys("单雄信", None)
    assert "ceng guofan" not in name_keys("曾国藩", None)


def test_surname_with_two_readings_keeps_both() -> None:
    keys = name_keys("乐嘉", None)
    assert {"yue jia", "le jia"} <= keys
    assert romanise("乐嘉") == "Yue Jia"


def test_surname_readings_are_ones_pypinyin_offers() -> None:
    for char, readings in SURNAME_READINGS.items():
        offered = set(pinyin(char, style=Style.NORMAL, heteronym=True)[0])
        assert set(readings) <= offered, (char, readings, offered)
    for surname, reading in COMPOUND_SURNAMES.items():
        assert len(surname) == 2 and reading.isascii() and reading.islower()


def test_u_umlaut_spellings() -> None:
    keys = name_keys("吕布", None)
    assert {"lyu bu", "lv bu", "lu bu", "bu lyu", "lyubu", "lvbu", "lubu"} <= keys
    assert name_keys(None, "LYU Bu") & keys
    assert name_keys(None, "Lü Bu") & keys
    assert romanise("吕布") == "Lü Bu"


@pytest.mark.parametrize("spelling", ["ZHANG, Wei", "Wei Zhang", "zhang wei", "Zhang  Wei", "Zhāng Wěi",
                                      "WEI ZHANG", "Zhang-Wei", "zhangwei"])
def test_latin_spellings_share_keys_with_each_other_and_with_the_han_name(spelling: str) -> None:
    keys = name_keys(None, spelling)
    assert keys & name_keys("张伟", None)
    assert keys & name_keys(None, "Wei Zhang")


def test_latin_order_insensitive_sets_are_equal() -> None:
    assert name_keys(None, "ZHANG, Wei") == name_keys(None, "Wei Zhang") == name_keys(None, "zhang wei")


@pytest.mark.parametrize(("raw", "words"), [
    ("ZHANG, Xiao-Ping", ["zhang", "xiaoping"]),
    ("Zoë Müller-Lüdenscheidt", ["zoe", "mullerludenscheidt"]),
    ("Søren Kierkegaard", ["soren", "kierkegaard"]),
    ("O'Brien, Seán", ["obrien", "sean"]),
    ("J.R. Smith", ["jr", "smith"]),
    ("Ｚｈａｎｇ　Ｗｅｉ", ["zhang", "wei"]),  # full-width letters and space
    ("Straße", ["strasse"]),
    ("  ", []),
])
def test_latin_normalisation(raw: str, words: list[str]) -> None:
    assert latin_words(raw) == words


def test_hyphenated_given_name_matches_pinyin() -> None:
    assert name_keys(None, "Xiao-Ping ZHANG") & name_keys("张小平", None)
    assert name_keys(None, "Xiao Ping Zhang") & name_keys("张小平", None)  # syllables written apart


def test_long_latin_names_are_bounded() -> None:
    keys = name_keys(None, "Maria de los Angeles Garcia Lopez")
    assert "maria de los angeles garcia lopez" in keys
    assert "lopez garcia angeles los de maria" in keys
    assert len(keys) <= 6


def test_four_word_names_get_every_order() -> None:
    assert len(name_keys(None, "a b c d")) == 24 * 2


def test_transliterated_foreign_name_with_middle_dot() -> None:
    keys = name_keys("约翰·史密斯", "John Smith")
    assert {"约翰史密斯", "yuehan shimisi", "shimisi yuehan", "john smith", "smith john"} <= keys
    assert romanise("约翰·史密斯") == "Yuehan Shimisi"


def test_empty_names() -> None:
    assert name_keys(None, None) == frozenset()
    assert name_keys("", "") == frozenset()
    assert name_keys("Wei Zhang", None) == name_keys(None, "Wei Zhang")  # Latin text in the Han field


@pytest.mark.parametrize(("han", "display"), [
    ("张伟", "Zhang Wei"),
    ("张小平", "Zhang Xiaoping"),
    ("欧阳娜娜", "Ouyang Nana"),
    ("单雄信", "Shan Xiongxin"),
    ("曾国藩", "Zeng Guofan"),
    ("张西安", "Zhang Xi'an"),  # apostrophe before a syllable starting with a vowel
    ("王", "Wang"),
    ("Li Ming", "Li Ming"),
])
def test_romanise(han: str, display: str) -> None:
    assert romanise(han) == display


def test_query_keys_for_either_script() -> None:
    assert "张伟" in query_keys("张伟")
    assert "zhang wei" in query_keys("张伟")
    assert query_keys("Zhang WEI") == name_keys(None, "Wei Zhang")


CANDIDATES = [
    ("P-0004", "张伟", "Zhang Wei"),
    ("P-0001", "张伟", None),
    ("P-0002", "章伟", "Wei Zhang"),
    ("P-0003", None, "ZHANG, Wei"),
    ("P-0005", "李明", "Li Ming"),
    ("P-0006", "单雄信", "Shan Xiongxin"),
    ("P-0007", None, None),
]


def test_match_latin_query() -> None:
    assert match_name("Zhang Wei", CANDIDATES) == [
        NameMatch("P-0004", "exact", "Zhang Wei"),
        NameMatch("P-0001", "pinyin", "wei zhang"),
        NameMatch("P-0002", "latin", "wei zhang"),
        NameMatch("P-0003", "latin", "wei zhang"),
    ]


def test_match_han_query() -> None:
    assert match_name("张伟", CANDIDATES) == [
        NameMatch("P-0001", "exact", "张伟"),
        NameMatch("P-0004", "exact", "张伟"),
        NameMatch("P-0002", "pinyin", "wei zhang"),  # a homophone, and its Latin name
        NameMatch("P-0003", "pinyin", "wei zhang"),
    ]


def test_match_surname_reading_and_no_match() -> None:
    assert match_name("Shan Xiongxin", CANDIDATES) == [NameMatch("P-0006", "exact", "Shan Xiongxin")]
    assert match_name("xiongxin SHAN", CANDIDATES) == [NameMatch("P-0006", "latin", "shan xiongxin")]
    assert match_name("Dan Xiongxin", CANDIDATES) == []
    assert match_name("Wang Fang", CANDIDATES) == []
    assert match_name("", CANDIDATES) == []


def test_match_is_deterministic_whatever_the_candidate_order() -> None:
    first = match_name("zhangwei", CANDIDATES)
    assert match_name("zhangwei", list(reversed(CANDIDATES))) == first
    assert [m.key for m in first] == ["P-0001", "P-0002", "P-0003", "P-0004"]
    assert {m.how for m in first} == {"pinyin", "latin"}
