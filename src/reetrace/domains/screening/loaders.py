"""List loaders: each reads one list's own file format into :class:`ListedParty` records.

Every loader names the file and row of anything it cannot read (``bad_list_file``) and returns nothing partial.
:func:`discover` finds the lists under a folder by their file names; :mod:`.opensanctions` reads the
OpenSanctions-compiled and EU files.
"""

from __future__ import annotations

import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from reetrace.errors import Detail, Error, invalid

from .models import Alias, Identifier, ListedParty, LoadedList, PartyKind, SourceFile
from .normalise import script_of

OFAC_EMPTY = "-0-"
csv.field_size_limit(1 << 24)


def bad_file(path: Path, row: int | None, message: str) -> Error:
    where = f"{path}:{row}" if row is not None else str(path)
    place = f", row {row}" if row is not None else ""
    return invalid(f"{path}{place}: {message}", Detail(message, where), code="bad_list_file")


def source_file(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise bad_file(path, None, f"cannot read: {exc.strerror}") from None
    return SourceFile(path=str(path), size=len(data), sha256=hashlib.sha256(data).hexdigest())


def csv_rows(path: Path, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank row; decoding and quoting errors name the file and row."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise bad_file(path, line, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise bad_file(path, None, f"cannot read: {exc.strerror}") from None
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1  # where the record begins (a quoted field may run over several lines)
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise bad_file(path, start, f"malformed CSV record starting here: {exc}") from None
        if any(f.strip() for f in fields):
            yield start, fields


def dict_rows(path: Path, required: Sequence[str], delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """Rows keyed by the header; a missing required column or a short/long row is an error naming the row."""
    rows = csv_rows(path, delimiter)
    first = next(rows, None)
    if first is None:
        raise bad_file(path, 1, "empty file (no header row)")
    header = [h.strip() for h in first[1]]
    missing = [c for c in required if c not in header]
    if missing:
        raise bad_file(path, first[0], f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    for line, fields in rows:
        if len(fields) != len(header):
            raise bad_file(path, line, f"{len(fields)} fields, the header has {len(header)}")
        yield line, dict(zip(header, fields, strict=True))


def split_values(text: str, separator: str = ";") -> list[str]:
    return [v.strip() for v in text.split(separator) if v.strip()]


def aliases_of(primary: str, names: Sequence[str]) -> tuple[Alias, ...]:
    seen = {primary.casefold()}
    out = []
    for name in names:
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(Alias(name, script_of(name)))
    return tuple(out)


def stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


# --- OFAC legacy CSV (sdn.csv / cons_prim.csv + alt + add) -------------------------------------------------------


def _ofac_value(text: str) -> str:
    text = text.strip()
    return "" if text == OFAC_EMPTY else text


def _ofac_records(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    for line, fields in csv_rows(path):
        if len(fields) == 1 and fields[0].strip() == "\x1a":  # DOS end-of-file marker in old OFAC files
            continue
        if len(fields) != width:
            raise bad_file(path, line, f"{len(fields)} fields, an OFAC record has {width}")
        if not fields[0].strip().isdigit():
            raise bad_file(path, line, f"ent_num {fields[0]!r} is not a number")
        yield line, [_ofac_value(f) for f in fields]


def load_ofac(list_id: str, title: str, primary: Path, alt: Path | None, add: Path | None) -> LoadedList:
    aliases: dict[str, list[str]] = defaultdict(list)
    countries: dict[str, list[str]] = defaultdict(list)
    files = [source_file(primary)]
    if alt is not None:
        files.append(source_file(alt))
        for _, f in _ofac_records(alt, 5):
            if f[3]:
                aliases[f[0]].append(f[3])
    if add is not None:
        files.append(source_file(add))
        for _, f in _ofac_records(add, 6):
            if f[4]:
                countries[f[0]].append(f[4])
    parties = []
    for line, f in _ofac_records(primary, 12):
        if not f[1]:
            raise bad_file(primary, line, "empty name")
        kind: PartyKind = "person" if f[2].lower() == "individual" else "entity"
        programmes = tuple(p.strip(" []") for p in f[3].split("] [") if p.strip(" []"))
        parties.append(ListedParty(list_id, f[0], f[1], kind, aliases_of(f[1], aliases.get(f[0], [])),
                                   tuple(dict.fromkeys(countries.get(f[0], []))), programmes))
    return LoadedList(list_id, title, tuple(files), tuple(parties))


# --- BIS Denied Persons List (TSV) -------------------------------------------------------------------------------


def load_dpl(path: Path) -> LoadedList:
    """One party per denial (name, street address, effective date); the file repeats a denied person once per
    further address (another city or country: "ADDRESS ADDED") and sometimes twice verbatim, so rows with the same
    record id are one party with every country they give."""
    parties: dict[str, ListedParty] = {}
    for line, row in dict_rows(path, ("Name", "Country", "Effective_Date"), delimiter="\t"):
        name = " ".join(row["Name"].split())
        if not name:
            raise bad_file(path, line, "empty Name")
        record_id = stable_id(name, row.get("Street_Address", ""), row["Effective_Date"])
        country = row["Country"].strip()
        found = parties.get(record_id)
        if found is not None:
            if country and country not in found.countries:
                parties[record_id] = replace(found, countries=(*found.countries, country))
            continue
        parties[record_id] = ListedParty("us_bis_dpl", record_id, name,
                                         "entity" if _looks_like_company(name) else "person",
                                         countries=(country,) if country else (), programmes=("DPL",))
    return LoadedList("us_bis_dpl", "US BIS Denied Persons List", (source_file(path),), tuple(parties.values()))


_COMPANY_HINT = re.compile(r"\b(ltd|llc|inc|corp|co|company|gmbh|limited|s\.?a|trading|group|enterprises?)\b", re.I)


def _looks_like_company(name: str) -> bool:
    return bool(_COMPANY_HINT.search(name))


# --- UN Security Council consolidated list (XML) -----------------------------------------------------------------


def _text(element: ET.Element | None, tag: str) -> str:
    found = element.find(tag) if element is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""


def load_un(path: Path) -> LoadedList:
    data = source_file(path)
    raw = Path(path).read_bytes()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise bad_file(path, raw[: raw.find(b"<!")].count(b"\n") + 1, "DTDs and entities are refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise bad_file(path, exc.position[0], f"malformed XML: {exc}") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise bad_file(path, 1, f"root element is <{root.tag}>, expected <CONSOLIDATED_LIST>")
    parties = [_un_party(path, e, "person") for e in root.iter("INDIVIDUAL")]
    parties += [_un_party(path, e, "entity") for e in root.iter("ENTITY")]
    return LoadedList("un_sc", "UN Security Council Consolidated List", (data,), tuple(parties))


def _un_party(path: Path, element: ET.Element, kind: PartyKind) -> ListedParty:
    data_id = _text(element, "DATAID")
    parts = [_text(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    if not data_id or not name:
        raise bad_file(path, None, f"an <{element.tag}> without DATAID or name (DATAID {data_id!r})")
    alias_tag = "INDIVIDUAL_ALIAS" if kind == "person" else "ENTITY_ALIAS"
    names = [_text(a, "ALIAS_NAME") for a in element.findall(alias_tag)]
    names.append(_text(element, "NAME_ORIGINAL_SCRIPT"))
    countries = [_text(n, "VALUE") for n in element.findall("NATIONALITY")]
    address_tag = "INDIVIDUAL_ADDRESS" if kind == "person" else "ENTITY_ADDRESS"
    countries += [_text(a, "COUNTRY") for a in element.findall(address_tag)]
    identifiers = tuple(Identifier(_text(d, "TYPE_OF_DOCUMENT") or "document", _text(d, "NUMBER"))
                        for d in element.findall("INDIVIDUAL_DOCUMENT") if _text(d, "NUMBER"))
    programme = _text(element, "UN_LIST_TYPE")
    return ListedParty("un_sc", data_id, name, kind, aliases_of(name, [n for n in names if n]),
                       tuple(dict.fromkeys(c for c in countries if c)), (programme,) if programme else (),
                       identifiers)


# --- trade.gov Consolidated Screening List (CSV) -----------------------------------------------------------------


def load_csl(path: Path) -> LoadedList:
    parties = []
    for line, row in dict_rows(path, ("source", "entity_number", "type", "programs", "name", "alt_names")):
        name = " ".join(row["name"].split())
        if not name:
            raise bad_file(path, line, "empty name")
        record_id = row["entity_number"].strip() or stable_id(row["source"], name, row.get("start_date", ""))
        kind: PartyKind = "person" if row["type"].strip().lower() == "individual" else "entity"
        countries = [a.rsplit(",", 1)[-1].strip() for a in split_values(row.get("addresses", "")) if "," in a]
        programmes = split_values(row["programs"]) or [row["source"].split(" - ")[0].strip()]
        parties.append(ListedParty("us_trade_csl", f"{line}:{record_id}", name, kind,
                                   aliases_of(name, split_values(row["alt_names"])),
                                   tuple(dict.fromkeys(c for c in countries if len(c) == 2)), tuple(programmes)))
    return LoadedList("us_trade_csl", "US Consolidated Screening List (trade.gov)", (source_file(path),),
                      tuple(parties))


# --- discovery ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A list found under a folder: which list, which files, and how to read them."""

    list_id: str
    files: tuple[Path, ...]
    read: Callable[[], list[LoadedList]]


def _one(loader: Callable[[Path], LoadedList], path: Path) -> list[LoadedList]:
    return [loader(path)]


def discover(folder: Path) -> tuple[list[Source], list[str]]:
    """Every list under ``folder`` (by file name) and notes on files set aside (e.g. an older duplicate)."""
    from . import opensanctions

    if not folder.is_dir():
        raise invalid(f"{folder} is not a folder", Detail("give the folder that holds the list files", str(folder)),
                      code="bad_list_folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    sources: list[Source] = []
    notes: list[str] = []
    sources += _ofac_sources(files, notes)
    for path in files:
        name = path.name
        if name == "dpl.txt":
            sources.append(Source("us_bis_dpl", (path,), partial(_one, load_dpl, path)))
        elif name.lower().startswith("un_consolidated") and name.endswith(".xml"):
            sources.append(Source("un_sc", (path,), partial(_one, load_un, path)))
        elif name == "csl.csv":
            sources.append(Source("us_trade_csl", (path,), partial(_one, load_csl, path)))
    sources += opensanctions.sources(files)
    if not sources:
        raise invalid(f"no list files found under {folder}", Detail("expected e.g. sdn.csv, dpl.txt, "
                      "UN_consolidated.xml, sanctions.csv", str(folder)), code="no_lists")
    return sources, notes


def _ofac_sources(files: Sequence[Path], notes: list[str]) -> list[Source]:
    """OFAC sets: the non-SDN list (cons_prim.csv + cons_alt/cons_add), and the SDN list from its newest snapshot
    (``sdn.csv`` in a dated folder, or ``sdn_<date>.csv``) with the aliases and addresses of the newest ``alt.csv``
    / ``add.csv`` pair dated on or after it (else the newest before it), joined by entity number. OFAC's entity
    numbers are stable, so a snapshot's records take a later pair's aliases; records the pair does not know keep
    their primary name only, and the pair's entries for later designations are not loaded."""
    found: list[Source] = []
    snapshots: list[tuple[str, Path]] = []
    pairs: list[tuple[str, Path, Path | None]] = []  # (date, alt.csv, add.csv)
    for path in files:
        sibling = {p.name for p in path.parent.iterdir()}
        if path.name == "cons_prim.csv":
            alt = path.parent / "cons_alt.csv" if "cons_alt.csv" in sibling else None
            add = path.parent / "cons_add.csv" if "cons_add.csv" in sibling else None
            found.append(_ofac_source("us_ofac_nonsdn", "US OFAC Consolidated (non-SDN) List", path, alt, add))
        elif path.name == "sdn.csv" or re.fullmatch(r"sdn_\d{4}-\d\d-\d\d\.csv", path.name):
            snapshots.append((_date_in(path), path))
        elif path.name == "alt.csv":
            pairs.append((_date_in(path), path, path.parent / "add.csv" if "add.csv" in sibling else None))
    if not snapshots:
        notes += [f"{a}: OFAC aliases without an SDN list (sdn.csv) to join them to, not loaded" for _, a, _ in pairs]
        return found
    snapshots.sort()
    *older, (date, best) = snapshots
    later = sorted(p for p in pairs if p[0] >= date)
    chosen = later[0] if later else max(pairs, default=None)
    alt, add = (chosen[1], chosen[2]) if chosen else (None, None)
    found.append(_ofac_source("us_ofac_sdn", "US OFAC Specially Designated Nationals", best, alt, add))
    notes += [f"{p}: an older OFAC SDN snapshot, superseded by {best}" for _, p in older]
    notes += [f"{a}: other OFAC aliases, not used (the SDN list takes those of {alt})" for _, a, _ in pairs
              if a != alt]
    return found


def _date_in(path: Path) -> str:
    """The last YYYY-MM-DD in a path (a dated snapshot's file or folder name), or "" if none."""
    dates = re.findall(r"\d{4}-\d\d-\d\d", str(path))
    return dates[-1] if dates else ""


def _ofac_source(list_id: str, title: str, primary: Path, alt: Path | None, add: Path | None) -> Source:
    files = tuple(p for p in (primary, alt, add) if p is not None)
    return Source(list_id, files, lambda: [load_ofac(list_id, title, primary, alt, add)])


def load_all(folder: Path, progress: Callable[[str], None] | None = None) -> tuple[list[LoadedList], list[str]]:
    """Read every list under ``folder``; the first bad file raises (nothing is returned partially)."""
    sources, notes = discover(folder)
    loaded: list[LoadedList] = []
    for source in sources:
        if progress:
            progress(source.list_id)
        loaded += source.read()
    return loaded, notes
