"""Each list loader on the real files in ../shared/lists: counts as the READMEs give them, known names present,
and a broken copy of each format fails with the file and row named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reetrace.domains.screening import opensanctions
from reetrace.domains.screening.loaders import discover, load_all, load_csl, load_dpl, load_ofac, load_un
from reetrace.domains.screening.models import LoadedList
from reetrace.errors import Error

LISTS = "lists"


@pytest.fixture(scope="module")
def loaded(shared_dir: Path) -> dict[str, LoadedList]:
    lists, _ = load_all(shared_dir / LISTS)
    return {item.list_id: item for item in lists}


def names(item: LoadedList) -> set[str]:
    return {n for p in item.parties for n in p.all_names()}


def test_ofac_sdn_counts_and_joins(loaded: dict[str, LoadedList]) -> None:
    """The newest SDN snapshot (2024-05-03: 14,966 rows counting the DOS end-of-file marker) with the aliases and
    addresses of the newest alt/add pair (2025-02-27), joined by entity number."""
    sdn = loaded["us_ofac_sdn"]
    assert len(sdn.parties) == 14965
    assert sum(p.kind == "person" for p in sdn.parties) == 6854
    assert 17_500 <= sdn.alias_count <= 19_486  # duplicate aliases of one record kept once; later designations' not
    assert sum(1 for p in sdn.parties if p.aliases) > 7000 and sum(1 for p in sdn.parties if p.countries) > 12000
    bnc = next(p for p in sdn.parties if p.record_id == "306")
    assert bnc.name == "BANCO NACIONAL DE CUBA" and "NATIONAL BANK OF CUBA" in {a.name for a in bnc.aliases}
    assert "Switzerland" in bnc.countries and bnc.programmes == ("CUBA",)
    assert [Path(f.path).name for f in sdn.files] == ["sdn_2024-05-03.csv", "alt.csv", "add.csv"]


def test_discovery_takes_the_newest_sdn_snapshot_and_says_what_it_set_aside(shared_dir: Path) -> None:
    sources, notes = discover(shared_dir / LISTS)
    sdn = [s for s in sources if s.list_id == "us_ofac_sdn"]
    assert len(sdn) == 1 and [(f.parent.name, f.name) for f in sdn[0].files] == [
        ("jackdwyer_gitscrape", "sdn_2024-05-03.csv"), ("watchman_2025-02-27_alt_add_only", "alt.csv"),
        ("watchman_2025-02-27_alt_add_only", "add.csv")]
    assert any("sdn_2023-12-28.csv" in n and "superseded" in n for n in notes)
    assert any("watchman_2021-07-07/sdn.csv" in n and "superseded" in n for n in notes)
    assert any("watchman_2021-07-07/alt.csv" in n and "not used" in n for n in notes)


def test_an_sdn_snapshot_takes_the_alias_pair_dated_on_or_after_it(tmp_path: Path) -> None:
    """sdn_2024 with alt/add of 2021 and 2025 beside it: the 2025 pair; without a later pair, the newest earlier one."""
    rest = ',-0- ,"X"' + ",-0- " * 8
    for folder, files in (("a_2021-07-07", {"sdn.csv": '1,"OLD NAME"' + rest,
                                            "alt.csv": '1,10,"aka","OLD ALIAS",-0- ', "add.csv": ""}),
                          ("b", {"sdn_2024-05-03.csv": '1,"NEW NAME"' + rest}),
                          ("c_2025-02-27", {"alt.csv": '1,11,"aka","NEW ALIAS",-0- ', "add.csv": ""})):
        (tmp_path / folder).mkdir()
        for name, text in files.items():
            (tmp_path / folder / name).write_text(text + ("\n" if text else ""), encoding="utf-8")
    [sdn] = [item for item in load_all(tmp_path)[0] if item.list_id == "us_ofac_sdn"]
    assert [(p.name, [a.name for a in p.aliases]) for p in sdn.parties] == [("NEW NAME", ["NEW ALIAS"])]
    shutil.rmtree(tmp_path / "c_2025-02-27")
    [sdn] = [item for item in load_all(tmp_path)[0] if item.list_id == "us_ofac_sdn"]
    assert [(p.name, [a.name for a in p.aliases]) for p in sdn.parties] == [("NEW NAME", ["OLD ALIAS"])]


def test_us_government_lists(loaded: dict[str, LoadedList]) -> None:
    assert len(loaded["us_ofac_nonsdn"].parties) == 442  # README 443 counts the end-of-file marker too
    assert sum("CMIC-EO13959" in p.programmes for p in loaded["us_ofac_nonsdn"].parties) >= 60  # NS-CMIC firms
    # 581 rows: a denial listed again for a further address (another city or country) is one party with both
    # countries, and two rows repeated verbatim are one party each
    dpl = loaded["us_bis_dpl"]
    assert len(dpl.parties) == 577 and "AARON ABRAHAM VILLA" in names(dpl)
    assert len({p.record_id for p in dpl.parties}) == 577
    assert ("CH", "FR") in {p.countries for p in dpl.parties if p.name == "ALI M HIJAZI"}
    assert len(loaded["us_trade_csl"].parties) == 115
    assert len(loaded["us_bis_mieu"].parties) == 13 and "Directorate of Military Intelligence" in names(
        loaded["us_bis_mieu"])
    assert len(loaded["us_dod_1260h"].parties) == 397
    assert {"Aviation Industry Corporation of China Ltd.", "AVIC"} <= names(loaded["us_dod_1260h"])
    assert len(loaded["us_special_legislation"].parties) == 652
    assert len(loaded["us_special_legislation"].files) == 6


def test_un_xml(loaded: dict[str, LoadedList]) -> None:
    un = loaded["un_sc"]
    assert sum(p.kind == "person" for p in un.parties) == 730
    assert sum(p.kind == "entity" for p in un.parties) == 273
    badege = next(p for p in un.parties if p.record_id == "6907993")
    assert badege.name == "ERIC BADEGE" and badege.programmes == ("DRC",)
    assert any(a.script == "other" for p in un.parties for a in p.aliases)  # original-script (Arabic) names


def test_eu_annexes(loaded: dict[str, LoadedList]) -> None:
    eu = loaded["eu_sanctions"]
    # 8,017 rows; record numbers restart in each annex (CELEX:annex:number), entries without a number are keyed by
    # name, and an entry an annex gives twice is one party
    assert len(eu.parties) == 8009 and len(eu.files) == 45 and len({p.record_id for p in eu.parties}) == 8009
    assert next(p for p in eu.parties if p.record_id == "32014R0269:I.ENTITIES:1").kind == "entity"
    aksyonov = next(p for p in eu.parties if p.record_id == "32014R0269:I.PERSONS:1")
    assert aksyonov.name == "Sergey Valeryevich AKSYONOV"
    assert {"Сергей Валерьевич АКСЁНОВ", "Sergei Valerievich AKSENOV"} <= {a.name for a in aksyonov.aliases}
    assert any(a.script == "cyrillic" for a in aksyonov.aliases)


def test_china_lists_split_by_list_with_chinese_names(loaded: dict[str, LoadedList]) -> None:
    assert len(loaded["cn_mofcom_control"].parties) == 153
    assert len(loaded["cn_mofcom_watch"].parties) == 40
    assert len(loaded["cn_mofcom_uel"].parties) == 66
    assert sum(len(loaded[k].parties) for k in loaded if k.startswith("cn_")) == 610
    control = loaded["cn_mofcom_control"]
    assert "三菱造船株式会社" in names(control)
    assert "斯巴鲁株式会社" in names(loaded["cn_mofcom_watch"])
    counter = loaded["cn_countermeasures"]
    assert {"National Endowment for Democracy", "美国国家民主基金会"} <= names(counter)
    both = sum(any(a.script == "han" for a in p.aliases) and p.name.isascii() for k in loaded
               if k.startswith("cn_") for p in loaded[k].parties)
    assert both >= 505  # the README's 512 EN+ZH rows, less 5 whose English name has accents


def broken(tmp_path: Path, source: Path, line: int, text: str) -> Path:
    copy = tmp_path / source.name
    lines = source.read_bytes().split(b"\n")
    lines[line - 1] = text.encode()
    copy.write_bytes(b"\n".join(lines))
    return copy


def expect_row(exc: pytest.ExceptionInfo[Error], path: Path, row: int) -> None:
    assert exc.value.code == "bad_list_file"
    assert f"{path}, row {row}" in str(exc.value), str(exc.value)


def test_broken_ofac_row_names_file_and_row(shared_dir: Path, tmp_path: Path) -> None:
    sdn = broken(tmp_path, shared_dir / LISTS / "us_ofac_sdn/watchman_2021-07-07/sdn.csv", 7, '535,"CIMEX"')
    with pytest.raises(Error) as exc:
        load_ofac("us_ofac_sdn", "SDN", sdn, None, None)
    expect_row(exc, sdn, 7)


def test_broken_dpl_csl_and_opensanctions_rows(shared_dir: Path, tmp_path: Path) -> None:
    dpl = broken(tmp_path, shared_dir / LISTS / "us_bis_denied_persons/watchman_2022-09-07/dpl.txt", 3, '"X"\t"Y"')
    with pytest.raises(Error) as exc:
        load_dpl(dpl)
    expect_row(exc, dpl, 3)
    csl = broken(tmp_path, shared_dir / LISTS / "us_trade_csl_sample/watchman_2019-12-03/csl.csv", 4, "a,b")
    with pytest.raises(Error) as exc:
        load_csl(csl)
    expect_row(exc, csl, 4)
    folder = tmp_path / "cn"
    folder.mkdir()
    cn = broken(folder, shared_dir / LISTS / "cn_mofcom_mfa_sanctions/opensanctions/sanctions.csv", 5,
                'Company,,"unterminated')
    with pytest.raises(Error) as exc:
        opensanctions.load_cn(cn)
    assert exc.value.code == "bad_list_file" and str(cn) in str(exc.value) and "row" in str(exc.value)


def test_missing_column_and_bad_encoding(shared_dir: Path, tmp_path: Path) -> None:
    mieu = tmp_path / "mieu.csv"
    text = (shared_dir / LISTS / "us_bis_mieu/opensanctions/mieu.csv").read_text(encoding="utf-8")
    mieu.write_text(text.replace("Program", "Programme", 1), encoding="utf-8")
    with pytest.raises(Error) as exc:
        opensanctions.load_mieu(mieu)
    expect_row(exc, mieu, 1)
    assert "Program" in str(exc.value)
    latin1 = tmp_path / "dpl.txt"
    latin1.write_bytes((shared_dir / LISTS / "us_bis_denied_persons/watchman_2022-09-07/dpl.txt").read_bytes()
                       .replace(b"AARON ABRAHAM VILLA", "AARÓN".encode("latin-1")))
    with pytest.raises(Error) as exc:
        load_dpl(latin1)
    expect_row(exc, latin1, 3)


def test_broken_un_xml_names_the_line(shared_dir: Path, tmp_path: Path) -> None:
    xml = broken(tmp_path, shared_dir / LISTS / "un_sc_consolidated/watchman_2026-02-27/UN_consolidated.xml", 9,
                 "      <REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBR>")
    with pytest.raises(Error) as exc:
        load_un(xml)
    expect_row(exc, xml, 9)


def test_a_folder_without_lists_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(Error) as exc:
        discover(tmp_path)
    assert exc.value.code == "no_lists"
    with pytest.raises(Error) as exc:
        discover(tmp_path / "missing")
    assert exc.value.code == "bad_list_folder"


def test_a_copied_folder_loads_the_same(shared_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(shared_dir / LISTS / "us_bis_mieu", tmp_path / "mieu")
    lists, notes = load_all(tmp_path)
    assert [item.list_id for item in lists] == ["us_bis_mieu"] and notes == []
    assert len(lists[0].files[0].sha256) == 64
