"""Name normalisation: folding, company forms, transliteration, pinyin."""

from __future__ import annotations

from reetrace.domains.screening.normalise import (
    fold,
    name_forms,
    pinyin_syllables,
    script_of,
    strip_han_company_forms,
    transliterate_cyrillic,
)


def test_fold_unicode_case_accents_punctuation() -> None:
    assert fold("  Ｓｂｅｒｂａｎｋ  ") == "sberbank"  # NFKC full-width
    assert fold("Société Générale, S.A.") == "societe generale sa"
    assert fold("O'Brien & Sons") == "obrien and sons"
    assert fold("AKSЁНОВ") == "aksёнов"  # Cyrillic keeps its letters (ё, й) until transliterated


def test_scripts() -> None:
    assert script_of("Wang Wei") == "latin"
    assert script_of("王伟") == "han"
    assert script_of("VSE公司") == "han"  # Chinese with a Latin brand inside
    assert script_of("Сбербанк") == "cyrillic"
    assert script_of("محمد علي") == "other"
    assert script_of("123") == "latin"


def test_company_forms_removed_for_matching_in_many_languages() -> None:
    for name, core in [("ABC Trading Ltd.", ("abc", "trading")), ("Siemens GmbH", ("siemens",)),
                       ("ООО Ромашка", ("romashka",)), ("Acme, LLC", ("acme",)), ("Banco S.A.", ("banco",)),
                       ("Gazprom PJSC", ("gazprom",))]:
        form = name_forms(name)[0]
        assert form.tokens == core, name
        assert form.forms  # kept aside, for display
    assert name_forms("Ltd")[0].tokens == ("ltd",)  # a lone company-form word stays (and then matches only itself)


def test_chinese_company_forms_and_pinyin() -> None:
    assert strip_han_company_forms("中国稀土集团有限公司") == ("中国稀土", ("集团有限公司",))
    assert strip_han_company_forms("三菱造船株式会社")[0] == "三菱造船"
    han, pinyin = name_forms("中国稀土集团有限公司")[:2]
    assert han.transform == "han" and han.compact == "中国稀土"
    assert pinyin.transform == "pinyin" and pinyin.tokens == ("zhong", "guo", "xi", "tu")
    assert pinyin_syllables("习近平") == ("xi", "jin", "ping")
    forms = name_forms("习近平")
    assert ("xi", "jinping") in [f.tokens for f in forms]  # surname + given name joined, as written in English


def test_pinyin_with_tone_marks_or_numbers_reads_as_plain_pinyin() -> None:
    assert name_forms("Xí Jìnpíng")[0].tokens == ("xi", "jinping")
    assert name_forms("xi2 jin4 ping2")[0].tokens == ("xi", "jin", "ping")
    assert name_forms("Unit 8200")[0].tokens == ("unit", "8200")  # numbers that are not tones stay


def test_cyrillic_and_other_scripts_transliterated() -> None:
    assert transliterate_cyrillic("Владимир Путин") == "vladimir putin"
    assert name_forms("Сергей АКСЁНОВ")[0].tokens == ("sergey", "aksenov")
    assert name_forms("Сергей АКСЁНОВ")[0].transform == "transliteration"
    assert name_forms("Αλέξανδρος")[0].tokens == ("alexandros",)
