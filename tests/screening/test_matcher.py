"""The matcher: cross-script hits on the real lists, company forms, no over-matching, explanations."""

from __future__ import annotations

from pathlib import Path

import pytest

from reetrace.domains.screening.loaders import load_all
from reetrace.domains.screening.matcher import PartyIndex, Thresholds, compare, load_thresholds
from reetrace.domains.screening.models import Alias, ListedParty


@pytest.fixture(scope="module")
def index(shared_dir: Path) -> PartyIndex:
    lists, _ = load_all(shared_dir / "lists")
    return PartyIndex(p for item in lists for p in item.parties)


def top(index: PartyIndex, name: str, lists: list[str] | None = None) -> ListedParty:
    hits = index.screen(name, lists)
    assert hits, f"no hit for {name!r}"
    return hits[0].party


def test_cn_list_entity_found_from_chinese_pinyin_and_english(index: PartyIndex) -> None:
    for query in ("香港民主委员会", "Xianggang Minzhu Weiyuanhui", "xiang gang min zhu wei yuan hui",
                  "Hong Kong Democracy Council"):
        party = top(index, query, ["cn_countermeasures"])
        assert party.name == "Hong Kong Democracy Council", query
    hit = index.screen("Xianggang Minzhu Weiyuanhui", ["cn_countermeasures"])[0]
    assert hit.explanation.transform == "pinyin" and hit.matched_name == "香港民主委员会"


def test_cn_control_list_company_with_and_without_company_forms(index: PartyIndex) -> None:
    assert top(index, "三菱造船", ["cn_mofcom_control"]).name == "Mitsubishi Heavy Industries Shipbuilding Co."
    assert top(index, "Mitsubishi Heavy Industries Shipbuilding Company Limited",
               ["cn_mofcom_control"]).name == "Mitsubishi Heavy Industries Shipbuilding Co."


def test_cyrillic_query_finds_latin_listing_and_back(index: PartyIndex) -> None:
    hit = index.screen("Сергей Валерьевич Аксёнов", ["eu_sanctions"])[0]
    assert hit.party.record_id == "32014R0269:I.PERSONS:1" and hit.score >= 0.95
    assert top(index, "Sergei Aksenov Valerievich", ["eu_sanctions"]).record_id == "32014R0269:I.PERSONS:1"
    assert compare("ООО Ромашка", "Romashka LLC").score == 1.0


def test_company_forms_do_not_decide_a_match() -> None:
    assert compare("Siemens GmbH", "Siemens AG").score == 1.0
    assert compare("中国稀土集团有限公司", "中国稀土集团").score == 1.0
    assert compare("Ltd", "ABC Ltd").score == 0.0  # a lone company-form word matches nothing else
    assert compare("LLC", "LLC").score == 1.0


def test_numbers_and_short_names_are_not_over_matched(index: PartyIndex) -> None:
    assert compare("ABC", "ABC Trading Ltd").score < 0.5
    assert compare("Li", "Li Ming").score < 0.5
    assert compare("AB", "AC").score == 0.0
    assert compare("Unit 8200", "Unit 8201").score < 0.6
    assert compare("Institute 54", "Institute 55").score < 0.6
    assert compare("Apex 1 Trading", "Apex Trading").score < 0.85
    for query in ("ABC", "Li", "Ltd", "Co", "1", "Inc."):
        assert index.screen(query) == [] or all(h.matched_name.casefold().replace(".", "") ==
                                                query.casefold().replace(".", "") for h in index.screen(query))


def test_fuzzy_spelling_and_word_order() -> None:
    cut = load_thresholds().default
    assert compare("Olaf Scholze", "Olaf Scholz").score >= cut
    assert compare("Scholz, Olaf", "Olaf Scholz").score >= 0.95  # the same words in another order
    assert compare("Xi Jinping", "习近平").score >= 0.95
    assert compare("Jinping Xi", "习近平").score >= 0.95
    assert compare("Octavian Scholz", "Olaf Scholz").score < cut


def test_explanations_name_alias_transform_and_tokens(index: PartyIndex) -> None:
    hit = index.screen("Banco Nacional de Kuba", ["us_ofac_sdn"])[0]
    data = hit.as_dict()
    assert data["name"] == "BANCO NACIONAL DE CUBA" and data["transform"] == "fuzzy"
    assert ["kuba", "cuba", 0.9] in data["matched_tokens"]  # spelled apart, sound alike
    assert data["threshold"] == load_thresholds().of("us_ofac_sdn")
    unmatched = compare("Mitsubishi Heavy Industries", "Mitsubishi Heavy Industries Shipbuilding")
    assert unmatched.unmatched_candidate == ("shipbuilding",) and unmatched.unmatched_query == ()
    initials = compare("V. Putin", "Vladimir Putin")
    assert initials.transform == "initials" and initials.score >= load_thresholds().default


def test_thresholds_per_list_and_override() -> None:
    party = ListedParty("cn_mofcom_control", "1", "Apex Rare Metals Trading", "entity",
                        (Alias("顶峰稀有金属贸易公司", "han"),))
    strict = PartyIndex([party], Thresholds(0.99, {}))
    assert strict.screen("Apex Rare Metal Trading") == []
    assert strict.screen("Apex Rare Metal Trading", threshold=0.8)[0].party == party
    lenient = PartyIndex([party], Thresholds(0.99, {"cn_mofcom_control": 0.8}))
    assert lenient.screen("Apex Rare Metal Trading")[0].threshold == 0.8
    assert load_thresholds().of("cn_mofcom_control") < load_thresholds().default
