"""Names in Chinese characters against names in Latin letters: translated words, transliterated sounds, the index.

The names here are made up or well-known companies, not the pairs of China's lists that bench/screening.py
measures on."""

from __future__ import annotations

import pytest

from reetrace.domains.screening import hanlatin
from reetrace.domains.screening.matcher import PartyIndex, compare
from reetrace.domains.screening.models import ListedParty


def party(record: str, name: str) -> ListedParty:
    return ListedParty(list_id="test_list", record_id=record, name=name, kind="entity")


def test_consonant_classes_read_spelling_as_sound() -> None:
    assert hanlatin.consonant_classes("lockheed") == "LKHT"
    assert hanlatin.consonant_classes("philips") == "FLPS"  # ph is f, r and l are one class
    assert hanlatin.consonant_classes("cecil") == "SSL"  # soft c
    assert hanlatin.consonant_classes("anne") == "VN"  # a doubled letter is one sound
    assert hanlatin.consonant_classes("george") == "JLJ"  # soft g, at the start too
    assert hanlatin.consonant_classes("boeing") == "PN"  # ng is one nasal
    assert hanlatin.consonant_classes("anna").startswith("V")  # a vowel onset
    assert hanlatin.syllable_classes("lang") == "LN"
    assert hanlatin.syllable_classes("er") == "L"  # 尔 renders an r or l
    assert hanlatin.syllable_classes("ao") == "V"


def test_sound_similarity_follows_transliteration_habits() -> None:
    assert hanlatin.sound_similarity(("bu", "lang", "ba", "ke"), "brownback") >= 0.8
    assert hanlatin.sound_similarity(("dai", "meng", "de"), "diamond") >= 0.9
    assert hanlatin.sound_similarity(("he", "si", "ta", "er"), "herstal") >= 0.8
    assert hanlatin.sound_similarity(("dai", "meng", "de"), "kowalski") == 0.0  # the first sound differs
    assert hanlatin.sound_similarity(("ma", "ding"), "thompson") == 0.0


@pytest.mark.parametrize(("latin", "han", "kinds"), [
    ("Michael Johnson", "迈克尔·约翰逊", {"gloss"}),  # names the dictionary knows
    ("Northrop Grumman Corporation", "诺斯罗普·格鲁曼公司", {"sound"}),  # transliterated, company form dropped
    ("Honeywell International Inc.", "霍尼韦尔国际公司", {"sound", "gloss"}),  # both in one name
    ("Thales Group", "泰雷兹集团", {"sound"}),
    ("Boeing", "波音公司", {"sound"}),
    ("ACME Robotics LLC", "ACME机器人公司", {"latin", "gloss"}),  # Latin letters inside the Chinese name
])
def test_translated_and_transliterated_names_match(latin: str, han: str, kinds: set[str]) -> None:
    for query, candidate in ((latin, han), (han, latin)):
        result = compare(query, candidate)
        assert result.score >= 0.8, (query, candidate, result)
        assert result.transform == "translation"
    detail = hanlatin.compare(han, latin)
    assert {m.kind for m in detail.matches} == kinds
    assert not detail.unmatched_latin and not detail.unmatched_han


def test_explanation_names_each_word_and_what_it_rests_on() -> None:
    result = compare("Honeywell International", "霍尼韦尔国际公司")
    assert "honeywell = 霍尼韦尔 (sound: huo ni wei er)" in result.notes
    assert any(n.startswith("international = 国际 (gloss") for n in result.notes)
    assert {(m.query, m.candidate) for m in result.matched} == {("honeywell", "霍尼韦尔"), ("international", "国际")}
    assert dict(result.evidence) == {"latin_letters_matched": 1.0, "characters_matched": 1.0}
    reverse = compare("霍尼韦尔国际公司", "Honeywell International")  # the query's side comes first
    assert {(m.query, m.candidate) for m in reverse.matched} == {("霍尼韦尔", "honeywell"), ("国际", "international")}


def test_a_surname_alone_scores_less_than_the_whole_name() -> None:
    whole = compare("Michael Johnson", "迈克尔·约翰逊").score
    alone = compare("Michael Johnson", "约翰逊").score
    assert 0.5 < alone < whole
    assert compare("Michael Johnson", "约翰逊").unmatched_query == ("michael",)


@pytest.mark.parametrize(("latin", "han"), [
    ("Northrop Grumman", "洛克希德·马丁公司"),  # other companies
    ("Johnson Controls", "波音航天系统公司"),
    ("Kowalski Trading", "迈克尔·约翰逊"),
    ("Mark Smith", "马丁"),
])
def test_other_names_do_not_match(latin: str, han: str) -> None:
    assert compare(latin, han).score < 0.5
    assert compare(han, latin).score < 0.5


def test_chinese_names_in_latin_letters_stay_with_the_pinyin_comparison() -> None:
    # homophones and near-sounds are other people: 王伟 is not "Wang Wen", and the sound rules never apply
    assert compare("Zhang Wei", "张伟").transform == "pinyin"
    assert hanlatin.compare("张伟", "Zhang Wen").score == 0.0  # every syllable or nothing
    assert hanlatin.compare("陈美珠", "Chen Zhu").score == 0.0
    assert hanlatin.compare("张伟", "Zhang Wei").score == 0.9
    assert {m.kind for m in hanlatin.compare("张伟", "Zhang Wei").matches} == {"pinyin"}


def test_a_character_read_any_of_its_ways() -> None:
    # 柏 is bai in pypinyin's first reading, bo in names; Wade-Giles writes bo as po
    result = compare("Li Po-han", "李柏翰")
    assert result.score >= 0.8 and "po = 柏 (pinyin: bo)" in result.notes
    assert hanlatin.char_readings("柏")[:2] == ("bai", "bo")
    assert compare("Xianggang Minzhu Weiyuanhui", "香港民主委员会").transform == "pinyin"


@pytest.mark.parametrize(("a", "b"), [("", "张伟"), ("123", "诺斯罗普"), ("...", "·"), ("Northrop", ""),
                                       ("Northrop", "公司"), ("LLC", "株式会社"), ("  ", "  ")])
def test_degenerate_input_scores_nothing(a: str, b: str) -> None:
    assert hanlatin.compare(b, a).score == 0.0
    assert compare(a, b).score == 0.0


def test_index_finds_a_latin_listing_from_a_chinese_query_and_back() -> None:
    index = PartyIndex([
        party("1", "Northrop Grumman Corporation"),
        party("2", "霍尼韦尔国际公司"),  # listed only in Chinese
        party("3", "Lockheed Martin Corporation"),
        party("4", "Acme Widgets Ltd"),
    ])
    hits = index.screen("诺斯罗普·格鲁曼公司", threshold=0.78)
    assert [h.party.record_id for h in hits] == ["1"]
    assert hits[0].explanation.transform == "translation"
    hits = index.screen("Honeywell International Inc", threshold=0.78)
    assert [h.party.record_id for h in hits] == ["2"]
    assert index.screen("洛克希德·马丁公司", threshold=0.78)[0].party.record_id == "3"
    assert index.screen("Widgets International", threshold=0.78) == []


def test_keys_meet_across_scripts() -> None:
    assert hanlatin.query_keys("诺斯罗普·格鲁曼公司") & hanlatin.latin_keys(("northrop", "grumman"))
    assert hanlatin.latin_query_keys(("honeywell", "international")) & hanlatin.listed_keys("霍尼韦尔国际公司")
    assert hanlatin.latin_keys(()) == frozenset() and hanlatin.query_keys("") == frozenset()


def test_vowels_agree_a_little() -> None:
    assert hanlatin.latin_vowels("yashima") == "AIA"  # a leading y is a consonant
    assert hanlatin.latin_vowels("drake") == "A"  # a final silent e
    assert hanlatin.syllable_vowel("ke") == "" and hanlatin.syllable_vowel("si") == ""  # 克, 斯: a consonant alone
    assert hanlatin.vowel_agreement(("ma", "ding"), "martin") == 1.0
    assert hanlatin.vowel_agreement(("mai", "ke"), "miika") < 1.0
    assert hanlatin.sound_similarity(("an", "ni"), "anne") >= 0.8  # a nasal said twice (安妮)


def test_a_latin_word_run_together_from_two_words() -> None:
    result = hanlatin.compare("诺瓦技术系统公司", "Nova Techsystems")
    assert result.score >= 0.85
    assert ("techsystems",) in [m.latin for m in result.matches]
    assert any(m.evidence == "tech = 技术, systems = 系统" for m in result.matches)
    assert hanlatin.compound_matches("诺瓦技术系统公司", "nova") == ()  # too short to be two words


def test_each_character_and_word_is_used_once_in_the_best_assignment() -> None:
    # 日本海 ("Sea of Japan") also glosses "japan"; taking it would leave "ocean" only 洋
    result = hanlatin.compare("日本海洋系统公司", "Japan Ocean Systems")
    assert [(m.latin, m.han) for m in result.matches] == [(("japan",), "日本"), (("ocean",), "海洋"),
                                                         (("systems",), "系统")]
    assert result.score == 0.9


def test_japanese_names_in_simplified_characters_read_in_japanese() -> None:
    pytest.importorskip("pykakasi")  # the optional extra reetrace[japanese]; the dev install has it
    result = compare("Yamada Kogyo Co., Ltd.", "山田工业株式会社")  # 工业 is 工業 "kogyo" in Japanese
    assert result.score >= 0.85
    assert "kogyo = 工业 (japanese: kogyo)" in result.notes
    # read either in Chinese or in Japanese, never both: 龍 is "ryu" in Japanese, 金 "jin" in pinyin
    assert compare("Ryu Jin", "蔡金龍").score < 0.78


def test_without_pykakasi_no_japanese_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    from reetrace.domains.screening import normalise

    monkeypatch.setattr(normalise, "kakasi", lambda: None)
    for cached in (hanlatin._japanese_runs, hanlatin.word_matches, hanlatin.compound_matches):
        cached.cache_clear()
    try:
        assert all(m.kind != "japanese" for m in hanlatin.compare("山田工业株式会社", "Yamada Kogyo").matches)
    finally:
        for cached in (hanlatin._japanese_runs, hanlatin.word_matches, hanlatin.compound_matches):
            cached.cache_clear()


def test_the_other_script_is_searched_apart_from_the_many_names_of_the_same() -> None:
    # forty Latin names share words with the query and would fill the candidates; the Chinese-only listing is still
    # compared, found by its translated word and its sounds
    decoys = [party(f"d{i}", f"International Honey Traders {i} Ltd") for i in range(40)]
    index = PartyIndex([*decoys, party("zh", "霍尼韦尔国际公司")])
    hits = index.screen("Honeywell International", threshold=0.78)
    assert [h.party.record_id for h in hits] == ["zh"]
    assert hits[0].explanation.transform == "translation"


def test_a_latin_word_written_inside_a_chinese_listing_finds_it() -> None:
    # listed in Chinese only, with the company's Latin initials inside the name: the English query's same word is
    # key enough among forty decoys sharing its other words
    decoys = [party(f"d{i}", f"Aerospace Systems Holding {i} Ltd") for i in range(40)]
    index = PartyIndex([*decoys, party("zh", "IHI宇航株式会社")])
    hits = index.screen("IHI Aerospace Co., Ltd.", threshold=0.7)
    assert [h.party.record_id for h in hits] == ["zh"]
    assert "l:ihi" in hanlatin.listed_keys("IHI宇航株式会社") & hanlatin.latin_query_keys(("ihi", "aerospace"))


def test_long_input_is_bounded() -> None:
    import time

    han = "洛克希德·马丁导弹系统集成实验室" * 2
    latin = " ".join(["Lockheed Martin Missile System Integration Lab"] * 2)
    hanlatin.compare(han, latin)  # warm the dictionary
    started = time.perf_counter()
    assert hanlatin.compare(han + "甲", latin + " Extra").score > 0.5
    assert time.perf_counter() - started < 2.0  # the choice is a bounded beam, not all subsets (it took minutes)
    assert hanlatin.compare(han * 3, latin).score == 0.0  # over 48 characters: not a name
    assert hanlatin.compare(han, " ".join(["word"] * 17)).score == 0.0  # over 16 words
