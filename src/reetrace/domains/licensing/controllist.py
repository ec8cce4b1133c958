"""The export control list as data: announcements, suspensions, rules and exclusions, with their dates.

The list is a TOML document (the default is ``rules/control-list.toml`` next to this package; its header describes
the format). :meth:`ControlList.parse` validates it completely before anything uses it: unknown tables or fields,
missing fields, duplicate ids, unknown announcements, elements, forms or HS codes, and dates out of order are all
collected and raised as one ``Error(code="bad_control_list")`` whose details name the file, the rule and the field.

:meth:`ControlList.status` answers whether a rule applies on a date: not yet in force, in force, or suspended (and
by which suspension). A suspension's ``until`` is the last suspended day (inclusive): Announcement No. 70 suspends
"until 10 November 2026", read here as "the controls apply again from 2026-11-11".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from reetrace.errors import Detail, Error

from .hs import HsCodeError, parse_hs

DEFAULT_LIST = "rules/control-list.toml"

# Every chemical element symbol (IUPAC), for compositions and rules.
_ELEMENT_SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr "
    "Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt "
    "Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc "
    "Lv Ts Og"
)
ELEMENTS: tuple[str, ...] = tuple(_ELEMENT_SYMBOLS.split())

# The forms an item may take; rules list the ones they cover.
MATERIAL_FORMS: tuple[str, ...] = ("metal", "alloy", "target", "magnet", "oxide", "compound", "mixture", "crystal",
                                   "luminescent", "optical_fibre", "hydrogen_storage", "ceramic", "magnetostrictive",
                                   "magnetic_refrigeration")
FORMS: tuple[str, ...] = (*MATERIAL_FORMS, "article", "equipment", "technology")
RULE_KINDS: tuple[str, ...] = ("item", "equipment", "technology", "re-export")

RuleKind = Literal["item", "equipment", "technology", "re-export"]
State = Literal["not_yet_in_force", "in_force", "suspended"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOP = {"version": True, "checked": True, "announcements": True, "suspensions": False, "rules": True,
        "exclusions": False}
_ANNOUNCEMENT = {"id": True, "title": True, "issued": True, "effective": True, "citation": True, "urls": False}
_SUSPENSION = {"id": True, "announcement": True, "start": True, "until": True, "suspends": True, "citation": True}
_RULE = {"id": True, "announcement": True, "kind": True, "title": True, "citation": True, "effective": False,
         "verified": False, "note": False, "element": False, "forms": False, "alloys": False, "magnets": False,
         "min_mass_percent": False, "hs_reference": False, "keywords": False, "confirm": False,
         "value_threshold_percent": False}
_EXCLUSION = {"id": True, "title": True, "applies_to": True, "forms": True, "keywords": True, "guidance": True,
              "citation": True}
_MAGNET = {"name": True, "requires": True}


@dataclass(frozen=True)
class Announcement:
    id: str
    title: str
    issued: date
    effective: date
    citation: str
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suspension:
    id: str
    announcement: str  # the announcement that suspends
    start: date
    until: date  # last suspended day, inclusive
    suspends: tuple[str, ...]
    citation: str

    def covers(self, on: date) -> bool:
        return self.start <= on <= self.until


@dataclass(frozen=True)
class MagnetMaterial:
    name: str
    requires: tuple[str, ...]  # elements that must all be present


@dataclass(frozen=True)
class Rule:
    id: str
    announcement: str
    kind: RuleKind
    title: str
    citation: str
    effective: date  # the rule's own date, or its announcement's
    verified: bool = True
    note: str = ""
    element: str | None = None
    forms: tuple[str, ...] = ()
    alloys: tuple[tuple[str, ...], ...] = ()  # each alloy system as its elements
    magnets: tuple[MagnetMaterial, ...] = ()
    min_mass_percent: float | None = None  # None: no concentration threshold
    hs_reference: tuple[str, ...] = ()  # reference codes only: neither necessary nor sufficient
    keywords: tuple[str, ...] = ()
    confirm: str = ""
    value_threshold_percent: float | None = None


@dataclass(frozen=True)
class Exclusion:
    id: str
    title: str
    applies_to: tuple[str, ...]  # announcement ids
    forms: tuple[str, ...]
    keywords: tuple[str, ...]
    guidance: str
    citation: str


@dataclass(frozen=True)
class RuleStatus:
    """Whether a rule applies on a date, and why."""

    state: State
    reason: str
    suspension: Suspension | None = None

    @property
    def in_force(self) -> bool:
        return self.state == "in_force"


class ControlList:
    """A validated control list; immutable."""

    def __init__(self, *, version: str, checked: date, announcements: tuple[Announcement, ...],
                 suspensions: tuple[Suspension, ...], rules: tuple[Rule, ...], exclusions: tuple[Exclusion, ...],
                 source: str, digest: str) -> None:
        self.version = version
        self.checked = checked
        self.announcements = announcements
        self.suspensions = suspensions
        self.rules = rules
        self.exclusions = exclusions
        self.source = source
        self.digest = digest  # sha256 hex of the source text
        self._announcement = {a.id: a for a in announcements}
        self._rule = {r.id: r for r in rules}

    # -- construction -----------------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, source: str = "<control list>") -> ControlList:
        """Parse and validate a TOML control list; raises ``Error(code="bad_control_list")`` naming every problem."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(source, [Detail(f"not valid TOML: {exc}", source)]) from None
        parser = _Parser(source)
        parsed = parser.control_list(data, hashlib.sha256(text.encode("utf-8")).hexdigest())
        if parser.problems or parsed is None:
            raise _bad(source, parser.problems)
        return parsed

    @classmethod
    def load(cls, path: str | Path) -> ControlList:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad(str(p), [Detail(f"cannot read the control list: {exc}", str(p))]) from None
        return cls.parse(text, str(p))

    @staticmethod
    def default() -> ControlList:
        """The control list shipped with reetrace (``rules/control-list.toml``)."""
        return _default_list()

    # -- reading ----------------------------------------------------------------------------------------------

    def announcement(self, announcement_id: str) -> Announcement:
        return self._announcement[announcement_id]

    def rule(self, rule_id: str) -> Rule:
        return self._rule[rule_id]

    def rules_of(self, kind: RuleKind) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)

    def status(self, rule: Rule, on: date) -> RuleStatus:
        """Whether ``rule`` applies on ``on``: its own effective date first, then any suspension of its announcement."""
        ann = self._announcement[rule.announcement]
        name = short_name(ann)
        if on < rule.effective:
            return RuleStatus("not_yet_in_force", f"{rule.id} ({name}) takes effect on {rule.effective.isoformat()}")
        for s in self.suspensions:
            if rule.announcement in s.suspends and s.covers(on):
                by = short_name(self._announcement[s.announcement])
                return RuleStatus("suspended", f"{rule.id} ({name}) is suspended by {by} from {s.start.isoformat()} "
                                               f"until {s.until.isoformat()}", s)
        since = max([rule.effective, *(s.until + timedelta(days=1) for s in self.lapsed_suspensions(rule, on))])
        again = " again" if since != rule.effective else ""
        return RuleStatus("in_force", f"{rule.id} ({name}) is in force{again} since {since.isoformat()}")

    def lapsed_suspensions(self, rule: Rule, on: date) -> tuple[Suspension, ...]:
        """Suspensions of the rule's announcement that ended before ``on`` (their renewal would not be in this list)."""
        return tuple(s for s in self.suspensions if rule.announcement in s.suspends and s.until < on)

    def in_force(self, on: date) -> tuple[tuple[Rule, RuleStatus], ...]:
        return tuple((r, self.status(r, on)) for r in self.rules)


def short_name(ann: Announcement) -> str:
    """ "MOFCOM-GAC-2025-18" -> "No. 18"."""
    return f"No. {ann.id.rsplit('-', 1)[-1]}"


def _bad(source: str, problems: list[Detail]) -> Error:
    first = problems[0] if problems else Detail("the control list is not valid", source)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Error(f"invalid control list {source}: {first.location}: {first.message}{more}", code="bad_control_list",
                 http_status=400, details=problems)


def _where(table: Any, what: str, fallback: str) -> str:
    """ "rule 1C904" when the table has a usable id, else its position ("rules[3]")."""
    ident = table.get("id") if isinstance(table, dict) else None
    return f"{what} {ident.strip()}" if isinstance(ident, str) and ident.strip() else fallback


@lru_cache(maxsize=1)
def _default_list() -> ControlList:
    text = resources.files("reetrace.domains.licensing").joinpath(DEFAULT_LIST).read_text(encoding="utf-8")
    return ControlList.parse(text, DEFAULT_LIST)


class _Parser:
    """Collects every problem with its location instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Detail] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Detail(message, f"{self.source}: {where}"))

    # -- typed field readers ----------------------------------------------------------------------------------

    def fields(self, table: Any, spec: Mapping[str, bool], where: str) -> dict[str, Any] | None:
        if not isinstance(table, dict):
            self.problem(where, f"must be a table, got {type(table).__name__}")
            return None
        for key in table:
            if key not in spec:
                self.problem(f"{where}: {key}", f"unknown field {key!r} (known: {', '.join(spec)})")
        for key, required in spec.items():
            if required and key not in table:
                self.problem(f"{where}: {key}", "missing")
        return table

    def text(self, table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (key in table and not value.strip()):
            if key in table:
                self.problem(f"{where}: {key}", "must be non-empty text")
            return default
        return value.strip()

    def ident(self, table: Mapping[str, Any], key: str, where: str) -> str:
        value = self.text(table, key, where)
        if value and not _ID.match(value):
            self.problem(f"{where}: {key}", f"{value!r} is not an id (letters, digits, . _ -)")
        return value

    def day(self, table: Mapping[str, Any], key: str, where: str) -> date | None:
        value = table.get(key)
        if value is None:
            return None
        if type(value) is not date:
            self.problem(f"{where}: {key}", f"must be a date (YYYY-MM-DD without quotes), got {value!r}")
            return None
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(f"{where}: {key}", "must be a list of non-empty texts")
            return ()
        return tuple(v.strip() for v in value)

    def percent(self, table: Mapping[str, Any], key: str, where: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            self.problem(f"{where}: {key}", f"must be a percentage 0..100, got {value!r}")
            return None
        return float(value)

    def element(self, symbol: str, where: str) -> str:
        if symbol not in ELEMENTS:
            self.problem(where, f"unknown element symbol {symbol!r}")
        return symbol

    # -- tables -----------------------------------------------------------------------------------------------

    def control_list(self, data: Mapping[str, Any], digest: str) -> ControlList | None:
        self.fields(data, _TOP, "top level")
        version = self.text(data, "version", "top level")
        checked = self.day(data, "checked", "top level")
        announcements = self.unique("announcement", [self.announcement(t, i)
                                                     for i, t in enumerate(self.tables(data, "announcements"))])
        known = {a.id: a for a in announcements}
        suspensions = self.unique("suspension", [self.suspension(t, i, known)
                                                 for i, t in enumerate(self.tables(data, "suspensions"))])
        rules = self.unique("rule", [self.rule(t, i, known) for i, t in enumerate(self.tables(data, "rules"))])
        exclusions = self.unique("exclusion", [self.exclusion(t, i, known)
                                               for i, t in enumerate(self.tables(data, "exclusions"))])
        if self.problems or checked is None:
            return None
        return ControlList(version=version, checked=checked, announcements=announcements, suspensions=suspensions,
                           rules=rules, exclusions=exclusions, source=self.source, digest=digest)

    def tables(self, data: Mapping[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(key, "must be an array of tables ([[" + key + "]])")
            return []
        return value

    def unique(self, what: str, items: list[Any]) -> tuple[Any, ...]:
        seen: set[str] = set()
        kept = []
        for item in items:
            if item is None:
                continue
            if item.id in seen:
                self.problem(f"{what} {item.id}", f"duplicate {what} id {item.id!r}")
            seen.add(item.id)
            kept.append(item)
        return tuple(kept)

    def announcement(self, table: Any, index: int) -> Announcement | None:
        where = _where(table, "announcement", f"announcements[{index}]")
        if self.fields(table, _ANNOUNCEMENT, where) is None:
            return None
        aid = self.ident(table, "id", where)
        issued, effective = self.day(table, "issued", where), self.day(table, "effective", where)
        if issued and effective and effective < issued:
            self.problem(f"{where}: effective", f"{effective} is before the issue date {issued}")
        if not (aid and issued and effective):
            return None
        return Announcement(aid, self.text(table, "title", where), issued, effective,
                            self.text(table, "citation", where), self.strings(table, "urls", where))

    def suspension(self, table: Any, index: int, known: Mapping[str, Announcement]) -> Suspension | None:
        where = _where(table, "suspension", f"suspensions[{index}]")
        if self.fields(table, _SUSPENSION, where) is None:
            return None
        sid = self.ident(table, "id", where)
        by = self.text(table, "announcement", where)
        suspends = self.strings(table, "suspends", where)
        for name in (by, *suspends):
            if name and name not in known:
                self.problem(where, f"unknown announcement {name!r}")
        start, until = self.day(table, "start", where), self.day(table, "until", where)
        if start and until and until < start:
            self.problem(f"{where}: until", f"{until} is before the start {start}")
        if by in known and start and start < known[by].effective:
            self.problem(f"{where}: start", f"{start} is before {by} takes effect ({known[by].effective})")
        if not (sid and start and until):
            return None
        return Suspension(sid, by, start, until, suspends, self.text(table, "citation", where))

    def rule(self, table: Any, index: int, known: Mapping[str, Announcement]) -> Rule | None:
        where = _where(table, "rule", f"rules[{index}]")
        if self.fields(table, _RULE, where) is None:
            return None
        rid = self.ident(table, "id", where)
        ann_id = self.text(table, "announcement", where)
        ann = known.get(ann_id)
        if ann_id and ann is None:
            self.problem(f"{where}: announcement", f"unknown announcement {ann_id!r}")
        kind = self.text(table, "kind", where)
        if kind and kind not in RULE_KINDS:
            self.problem(f"{where}: kind", f"{kind!r} is not one of {', '.join(RULE_KINDS)}")
        effective = self.day(table, "effective", where) or (ann.effective if ann else None)
        if ann and effective and effective < ann.issued:
            self.problem(f"{where}: effective", f"{effective} is before {ann_id} was issued ({ann.issued})")
        verified = table.get("verified", True)
        if not isinstance(verified, bool):
            self.problem(f"{where}: verified", "must be true or false")
        detail = self.item_fields(table, kind, where)
        if not (rid and ann and effective and kind in RULE_KINDS):
            return None
        return Rule(id=rid, announcement=ann_id, kind=kind, title=self.text(table, "title", where),  # type: ignore[arg-type]
                    citation=self.text(table, "citation", where), effective=effective, verified=verified is True,
                    note=self.text(table, "note", where), keywords=tuple(k.casefold() for k in
                                                                            self.strings(table, "keywords", where)),
                    confirm=self.text(table, "confirm", where),
                    value_threshold_percent=self.percent(table, "value_threshold_percent", where), **detail)

    def item_fields(self, table: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
        element = self.text(table, "element", where) or None
        if kind == "item" and element is None:
            self.problem(f"{where}: element", "an item rule names its element")
        if element is not None:
            self.element(element, f"{where}: element")
        forms = self.strings(table, "forms", where)
        for form in forms:
            if form not in MATERIAL_FORMS:
                self.problem(f"{where}: forms", f"unknown form {form!r} (known: {', '.join(MATERIAL_FORMS)})")
        if kind == "item" and not forms:
            self.problem(f"{where}: forms", "an item rule lists the forms it covers")
        alloys = tuple(tuple(a.split("-")) for a in self.strings(table, "alloys", where))
        for alloy in alloys:
            for symbol in alloy:
                self.element(symbol, f"{where}: alloys")
        return {"element": element, "forms": forms, "alloys": alloys, "magnets": self.magnets(table, where),
                "min_mass_percent": self.percent(table, "min_mass_percent", where),
                "hs_reference": self.hs_codes(table, where)}

    def magnets(self, table: Mapping[str, Any], where: str) -> tuple[MagnetMaterial, ...]:
        value = table.get("magnets", [])
        if not isinstance(value, list):
            self.problem(f"{where}: magnets", "must be a list of {name, requires} tables")
            return ()
        out = []
        for i, m in enumerate(value):
            at = f"{where}: magnets[{i}]"
            if self.fields(m, _MAGNET, at) is None:
                continue
            requires = tuple(self.element(s, f"{at}: requires") for s in self.strings(m, "requires", at))
            out.append(MagnetMaterial(self.text(m, "name", at), requires))
        return tuple(out)

    def hs_codes(self, table: Mapping[str, Any], where: str) -> tuple[str, ...]:
        codes = []
        for code in self.strings(table, "hs_reference", where):
            try:
                codes.append(parse_hs(code).digits)
            except HsCodeError as exc:
                self.problem(f"{where}: hs_reference", str(exc))
        return tuple(codes)

    def exclusion(self, table: Any, index: int, known: Mapping[str, Announcement]) -> Exclusion | None:
        where = _where(table, "exclusion", f"exclusions[{index}]")
        if self.fields(table, _EXCLUSION, where) is None:
            return None
        eid = self.ident(table, "id", where)
        applies_to = self.strings(table, "applies_to", where)
        for name in applies_to:
            if name not in known:
                self.problem(f"{where}: applies_to", f"unknown announcement {name!r}")
        forms = self.strings(table, "forms", where)
        for form in forms:
            if form not in FORMS:
                self.problem(f"{where}: forms", f"unknown form {form!r}")
        if not eid:
            return None
        return Exclusion(eid, self.text(table, "title", where), applies_to, forms,
                         tuple(k.casefold() for k in self.strings(table, "keywords", where)),
                         self.text(table, "guidance", where), self.text(table, "citation", where))
