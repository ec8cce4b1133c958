"""Loaders for the OpenSanctions-compiled CSVs (China's lists, DoD 1260H, BIS MIEU, US statutory lists) and the
EU regulation-annex CSVs. Files are recognised by their header row, not their name (two are ``sanctions.csv``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from .loaders import Source, _one, aliases_of, bad_file, csv_rows, dict_rows, source_file, split_values, stable_id
from .models import Identifier, ListedParty, LoadedList, PartyKind

# China's lists in one file, split by its ``List`` column; anything else is a countermeasure list.
CN_LISTS = {
    "List of Export Controls": ("cn_mofcom_control", "China MOFCOM Export Control List (管控名单)"),
    "Export Control Watch List": ("cn_mofcom_watch", "China MOFCOM Export Control Watch List (关注名单)"),
    "UEL": ("cn_mofcom_uel", "China MOFCOM Unreliable Entity List (不可靠实体清单)"),
}
CN_OTHER = ("cn_countermeasures", "China MFA/MOFCOM countermeasures and AFSL (反制清单)")
CN_COLUMNS = ("Type", "Name", "Alias", "Chinese name", "Country", "List", "Body", "Date")
DOD_COLUMNS = ("Name", "Clean Name", "Alias", "Previous Name", "Parent Name")
MIEU_COLUMNS = ("Type", "Name", "Alias", "Country", "Program")
SPECIAL_COLUMNS = ("schema", "name", "aliases", "program", "country")
EU_COLUMNS = ("celex", "recordId", "programKey", "schema", "name", "alias", "weakAlias", "previousName", "country",
              "nationality")
EU_IDENTIFIERS = ("registrationNumber", "taxNumber", "idNumber", "passportNumber", "innCode", "ogrnCode", "leiCode",
                  "imoNumber", "swiftBic")
_PAREN = re.compile(r"\(([^()]*)\)")


def header_of(path: Path) -> list[str]:
    if path.suffix.lower() != ".csv":
        return []
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return []
    return [h.strip().strip('"') for h in first.rstrip("\r\n").split(",")]


def sources(files: Sequence[Path]) -> list[Source]:
    found: list[Source] = []
    special: list[Path] = []
    eu: list[Path] = []
    for path in files:
        header = set(header_of(path))
        if not header:
            continue
        if set(CN_COLUMNS) <= header:
            found.append(Source("cn_mofcom_mfa", (path,), partial(load_cn, path)))
        elif set(DOD_COLUMNS) <= header:
            found.append(Source("us_dod_1260h", (path,), partial(_one, load_dod_1260h, path)))
        elif set(MIEU_COLUMNS) <= header:
            found.append(Source("us_bis_mieu", (path,), partial(_one, load_mieu, path)))
        elif set(SPECIAL_COLUMNS) <= header:
            special.append(path)
        elif set(EU_COLUMNS) <= header:
            eu.append(path)
    if special:
        found.append(Source("us_special_legislation", tuple(special), lambda: [load_special(special)]))
    if eu:
        found.append(Source("eu_sanctions", tuple(eu), lambda: [load_eu(eu)]))
    return found


def _kind(schema: str) -> PartyKind:
    return "person" if schema.strip().lower() == "person" else "entity"


def load_cn(path: Path) -> list[LoadedList]:
    """China's lists: English name primary, the Chinese name and aliases as aliases; one list per ``List`` value."""
    by_list: dict[tuple[str, str], list[ListedParty]] = defaultdict(list)
    for line, row in dict_rows(path, CN_COLUMNS):
        name, chinese = " ".join(row["Name"].split()), " ".join(row["Chinese name"].split())
        if not name and not chinese:
            raise bad_file(path, line, "neither Name nor Chinese name")
        primary = name or chinese
        list_id, title = CN_LISTS.get(row["List"].strip(), CN_OTHER)
        record_id = row.get("QID", "").strip() or stable_id(primary, chinese, row["List"], row["Date"])
        programme = row["List"].strip() or row["Body"].strip()
        country = row["Country"].strip()
        party = ListedParty(list_id, f"{line}:{record_id}", primary, _kind(row["Type"]),
                            aliases_of(primary, [chinese, *split_values(row["Alias"])]),
                            (country,) if country else (), (programme,) if programme else ())
        by_list[(list_id, title)].append(party)
    data = (source_file(path),)
    return [LoadedList(list_id, title, data, tuple(parties)) for (list_id, title), parties in sorted(by_list.items())]


def load_dod_1260h(path: Path) -> LoadedList:
    parties = []
    for line, row in dict_rows(path, DOD_COLUMNS):
        raw = " ".join(row["Name"].split()).rstrip("*").strip()
        clean = " ".join(row["Clean Name"].split()) or _PAREN.sub("", raw).strip()
        if not clean:
            raise bad_file(path, line, "empty Name")
        names = [raw, *split_values(row["Alias"]), *split_values(row["Previous Name"]), *_PAREN.findall(raw)]
        parties.append(ListedParty("us_dod_1260h", f"{line}:{stable_id(raw)}", clean, "entity",
                                   aliases_of(clean, names), ("CN",), ("US-DOD-1260H",)))
    return LoadedList("us_dod_1260h", "US DoD Section 1260H Chinese military companies", (source_file(path),),
                      tuple(parties))


def load_mieu(path: Path) -> LoadedList:
    parties = []
    for line, row in dict_rows(path, MIEU_COLUMNS):
        name = " ".join(row["Name"].split())
        if not name:
            raise bad_file(path, line, "empty Name")
        country = row["Country"].strip()
        parties.append(ListedParty("us_bis_mieu", f"{line}:{stable_id(name, country)}", name, _kind(row["Type"]),
                                   aliases_of(name, split_values(row["Alias"])), (country,) if country else (),
                                   (row["Program"].strip() or "US-BIS-MIEU",)))
    return LoadedList("us_bis_mieu", "US BIS Military-Intelligence End Users", (source_file(path),), tuple(parties))


def load_special(paths: Sequence[Path]) -> LoadedList:
    parties = []
    for path in paths:
        for line, row in dict_rows(path, SPECIAL_COLUMNS):
            name = " ".join(row["name"].split())
            if not name:
                raise bad_file(path, line, "empty name")
            country = row["country"].strip()
            parties.append(ListedParty("us_special_legislation", f"{path.stem}:{line}:{stable_id(name)}", name,
                                       _kind(row["schema"]), aliases_of(name, split_values(row["aliases"])),
                                       (country,) if country else (), (path.stem,)))
    files = tuple(source_file(p) for p in paths)
    return LoadedList("us_special_legislation", "US statutory lists (NDAA §1286, §889, §154, §5949, §353, INKSNA)",
                      files, tuple(parties))


def split_scripts(value: str) -> list[str]:
    """'Sergei AKSENOV (Сергей АКСЁНОВ)' -> both names; a parenthesis in the same script stays part of the name."""
    out = []
    for part in split_values(value):
        inner = _PAREN.findall(part)
        outer = _PAREN.sub("", part).strip()
        if inner and outer:
            out.append(outer)
            out += [i.strip() for i in inner if i.strip()]
        else:
            out.append(part)
    return out


def load_eu(paths: Sequence[Path]) -> LoadedList:
    """One party per annex entry: ``CELEX:annex:recordId`` (record numbers restart in each annex; an entry without
    one is keyed by its name). An annex that lists the same entry twice gives one party with both rows' names,
    countries and identifiers."""
    parties: dict[str, ListedParty] = {}
    for path in paths:
        for line, row in dict_rows(path, EU_COLUMNS):
            names = split_scripts(row["name"])
            if not names:
                raise bad_file(path, line, "empty name")
            alias_text = ";".join(row[c] for c in ("alias", "weakAlias", "previousName"))
            countries = split_values(row["country"]) + split_values(row["nationality"])
            identifiers = tuple(Identifier(c, v) for c in EU_IDENTIFIERS for v in split_values(row.get(c, "")))
            aliases = aliases_of(names[0], names[1:] + split_scripts(alias_text))
            number = row["recordId"].strip() or stable_id(names[0])
            record_id = f"{row['celex'].strip()}:{(row.get('annex') or '').strip()}:{number}"
            party = ListedParty("eu_sanctions", record_id, names[0], _kind(row["schema"]), aliases,
                                tuple(dict.fromkeys(countries)), (row["programKey"].strip(),), identifiers)
            found = parties.get(record_id)
            if found is not None:
                party = replace(found, aliases=aliases_of(found.name, [a.name for a in found.aliases]
                                                          + [party.name] + [a.name for a in party.aliases]),
                                countries=tuple(dict.fromkeys(found.countries + party.countries)),
                                identifiers=tuple(dict.fromkeys(found.identifiers + party.identifiers)))
            parties[record_id] = party
    files = tuple(source_file(p) for p in paths)
    return LoadedList("eu_sanctions", "EU sanctions regulation annexes", files, tuple(parties.values()))


__all__ = ["csv_rows", "load_cn", "load_dod_1260h", "load_eu", "load_mieu", "load_special", "sources"]
