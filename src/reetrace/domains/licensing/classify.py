"""Classify an item against the control list "as of date D": controlled, not controlled, or uncertain, and why.

Inputs are an :class:`ItemInput` (description, HS code, form, composition as element mass percentages, value);
:func:`parse_item` validates a mapping into one and raises ``Error(code="bad_item")`` naming each bad field.
:func:`classify` is pure: the item, a date and a :class:`ControlList` in, a :class:`Classification` out.

What is assumed (from the research notes of 2025-11-23, see ``rules/control-list.toml``):

- No. 18 (1C902-1C908) has no concentration threshold: any mass fraction above zero of a listed element in a
  covered form (metal, alloy, target, magnet material where listed, oxide, compound, mixture) is controlled.
  Listed alloys and magnet materials are matched by their elements (Tb-containing NdFeB needs Nd, Fe, B and Tb);
  an alloy or magnet of the element that is not listed is "uncertain", not "controlled".
- HS codes are reference codes only: without a composition an HS match gives "uncertain", never "controlled".
- No. 57 (1C909-1C913) takes effect on 2025-11-08 (reported, unverified); Nos. 56, 57, 61 and 62 are suspended by
  No. 70 from 2025-11-07 through 2026-11-10 and apply again from 2026-11-11 unless a later announcement (not in the
  list) extends the suspension, which the classification then says is to be confirmed. So holmium oxide is not
  controlled on 2025-10-20 (No. 57 not yet in force) nor on 2025-12-01 (suspended), and controlled on 2026-11-20.
- MOFCOM's guidance that deep-processed articles (motor assemblies with embedded magnets, moulded sensors,
  catalysts and phosphors, consumer goods with magnets) are generally outside No. 18 is applied when the form and
  the description fit an exclusion; the result says "generally outside ... confirm".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reetrace.errors import Detail, Error

from .controllist import ELEMENTS, FORMS, MATERIAL_FORMS, ControlList, Exclusion, Rule, State, short_name
from .hs import HsCode, HsCodeError, parse_hs

COMPOSITION_TOLERANCE = 0.5  # percentage points a composition may exceed 100 % by (rounding in assay reports)

Verdict = Literal["controlled", "not_controlled", "uncertain"]
Certainty = Literal["certain", "possible"]
Basis = Literal["composition", "hs_reference", "description", "keyword"]

# English and Chinese names of the rare earths, to read descriptions.
ELEMENT_NAMES: dict[str, tuple[str, str]] = {
    "Sc": ("scandium", "钪"), "Y": ("yttrium", "钇"), "La": ("lanthanum", "镧"), "Ce": ("cerium", "铈"),
    "Pr": ("praseodymium", "镨"), "Nd": ("neodymium", "钕"), "Pm": ("promethium", "钷"), "Sm": ("samarium", "钐"),
    "Eu": ("europium", "铕"), "Gd": ("gadolinium", "钆"), "Tb": ("terbium", "铽"), "Dy": ("dysprosium", "镝"),
    "Ho": ("holmium", "钬"), "Er": ("erbium", "铒"), "Tm": ("thulium", "铥"), "Yb": ("ytterbium", "镱"),
    "Lu": ("lutetium", "镥"),
}
_SYMBOL = {s.casefold(): s for s in ELEMENTS}


class ItemInput(BaseModel):
    """An item to classify, as entered; validated on construction."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    description: str = Field("", max_length=2000)
    hs_code: str | None = None
    form: str
    composition: dict[str, float] = Field(default_factory=dict)  # element symbol -> mass percent
    value: Decimal | None = Field(None, ge=0, allow_inf_nan=False)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")

    @field_validator("form")
    @classmethod
    def _form(cls, value: str) -> str:
        form = value.strip().lower().replace("-", "_")
        if form not in FORMS:
            raise ValueError(f"unknown form {value!r}; one of {', '.join(FORMS)}")
        return form

    @field_validator("hs_code")
    @classmethod
    def _hs(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return parse_hs(value).digits
        except HsCodeError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("composition")
    @classmethod
    def _composition(cls, value: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for raw, percent in value.items():
            symbol = _SYMBOL.get(raw.strip().casefold())
            if symbol is None:
                raise ValueError(f"unknown element symbol {raw!r}")
            if symbol in out:
                raise ValueError(f"element {symbol} is given twice")
            if not 0 <= percent <= 100 or percent != percent:
                raise ValueError(f"{symbol} = {percent}: a mass fraction is a percentage from 0 to 100")
            out[symbol] = percent
        total = sum(out.values())
        if total > 100 + COMPOSITION_TOLERANCE:
            raise ValueError(f"the mass fractions sum to {total:g} %, more than 100 % "
                             f"(tolerance {COMPOSITION_TOLERANCE} %)")
        return out


def parse_item(data: Mapping[str, Any]) -> ItemInput:
    """Validate ``data`` into an :class:`ItemInput`; raises ``Error(code="bad_item")`` naming every bad field."""
    try:
        return ItemInput.model_validate(dict(data))
    except ValidationError as exc:
        details = [Detail(_message(e), ".".join(str(p) for p in e["loc"]) or "item") for e in exc.errors()]
        first = details[0]
        raise Error(f"invalid item: {first.location}: {first.message}", code="bad_item", http_status=400,
                    details=details) from None


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


@dataclass(frozen=True)
class Match:
    """A rule that covers (or may cover) the item, and its status on the date."""

    rule_id: str
    announcement: str  # "No. 18"
    title: str
    citation: str
    certainty: Certainty
    basis: Basis
    reason: str
    state: State | Literal["excluded"]
    status: str  # why it applies or not on the date

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule_id, "announcement": self.announcement, "title": self.title,
                "citation": self.citation, "certainty": self.certainty, "basis": self.basis, "reason": self.reason,
                "state": self.state, "status": self.status}


@dataclass(frozen=True)
class Classification:
    as_of: date
    verdict: Verdict
    matches: tuple[Match, ...]
    steps: tuple[str, ...]  # the reasoning, in order
    uncertain: tuple[str, ...]  # what a reviewer must confirm
    exclusions: tuple[str, ...]  # ids of the exclusions that applied
    caveat: str  # about the list itself (its age)
    control_list: str  # version
    control_list_digest: str

    @property
    def controlling(self) -> tuple[Match, ...]:
        """The matches that make the item controlled on the date."""
        return tuple(m for m in self.matches if m.state == "in_force" and m.certainty == "certain")

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "verdict": self.verdict,
                "matches": [m.as_json() for m in self.matches], "steps": list(self.steps),
                "uncertain": list(self.uncertain), "exclusions": list(self.exclusions), "caveat": self.caveat,
                "control_list": {"version": self.control_list, "digest": self.control_list_digest}}


@dataclass
class _Candidate:
    rule: Rule
    certainty: Certainty
    basis: Basis
    reason: str


@dataclass
class _Work:
    item: ItemInput
    hs: HsCode | None
    steps: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.uncertain:
            self.uncertain.append(text)


def classify(item: ItemInput, as_of: date, control_list: ControlList | None = None) -> Classification:
    """Classify ``item`` as of ``as_of`` (see the module docstring for what is assumed)."""
    cl = control_list or ControlList.default()
    work = _Work(item, parse_hs(item.hs_code) if item.hs_code else None)
    _describe(work)
    exclusions = _exclusions(cl, item)
    if item.form in ("equipment", "technology"):
        candidates = _keyword_candidates(cl, work)
    else:
        candidates = _item_candidates(cl, work)
    matches = [_judge(cl, c, as_of, exclusions, work) for c in candidates]
    verdict = _verdict(matches, work)
    caveat = (f"The control list {cl.version} was checked against its sources on {cl.checked.isoformat()}; "
              f"announcements after that day are not in it." if as_of > cl.checked else "")
    return Classification(as_of, verdict, tuple(matches), tuple(work.steps), tuple(work.uncertain),
                          tuple(e.id for e in exclusions), caveat, cl.version, cl.digest)


def _describe(work: _Work) -> None:
    item = work.item
    if work.hs is not None:
        chapter = work.hs.chapter_note()
        work.steps.append(f"HS code {work.hs} (chapter {work.hs.chapter}{': ' + chapter if chapter else ''}) "
                          "is read as a reference only; it neither makes nor clears control.")
    if item.value is not None:
        work.steps.append(f"Value {item.value:,.2f} {item.currency}: the item controls of No. 18 and No. 57 have no "
                          "value threshold.")


def _exclusions(cl: ControlList, item: ItemInput) -> list[Exclusion]:
    text = item.description.casefold()
    return [e for e in cl.exclusions if item.form in e.forms and any(_mentions(text, k) for k in e.keywords)]


def _mentions(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(word), text) is not None
    return word in text


def _item_candidates(cl: ControlList, work: _Work) -> list[_Candidate]:
    item = work.item
    out: list[_Candidate] = []
    for rule in cl.rules_of("item"):
        found = _by_composition(rule, work) if item.composition else _by_hints(rule, work)
        if found is not None:
            out.append(found)
        elif item.composition and work.hs is not None:
            ref = _related_reference(rule, work.hs)
            if ref is not None:
                work.note(f"HS code {work.hs} is related to reference code {ref} of {rule.id}, but the composition "
                          f"has no {rule.element}: HS codes are only references, the composition decides.")
    if not item.composition:
        work.note("Composition needed: give the element mass fractions; No. 18 has no concentration threshold, so "
                  "any amount of a listed element counts.")
        if work.hs is not None and not out:
            work.steps.append(f"HS code {work.hs} is not related to any reference code of the control list.")
    elif not out:
        listed = sorted({r.element for r in cl.rules_of("item") if r.element})
        work.steps.append(f"The composition has none of the listed elements ({', '.join(listed)}) in a covered form.")
    return out


def _by_composition(rule: Rule, work: _Work) -> _Candidate | None:
    item, element = work.item, rule.element or ""
    percent = item.composition.get(element, 0.0)
    if percent <= 0:
        return None
    name = ELEMENT_NAMES.get(element, (element, ""))[0]
    has = f"{name} {percent:g} % by mass"
    threshold = ("with no threshold" if rule.min_mass_percent is None
                 else f"from {rule.min_mass_percent:g} % by mass")
    if rule.min_mass_percent is not None and percent < rule.min_mass_percent:
        work.steps.append(f"{has}: below the {rule.min_mass_percent:g} % threshold of {rule.id}.")
        return None
    present = {s for s, p in item.composition.items() if p > 0}
    if item.form == "article":
        return _Candidate(rule, "possible", "composition",
                          f"{has} in an article: {rule.id} lists {name} materials ({', '.join(rule.forms)}), not "
                          "finished articles; whether the article is deep-processed decides.")
    if item.form not in rule.forms:
        work.steps.append(f"{has} in {_a(_word(item.form))}: {rule.id} covers {name} only as "
                          f"{', '.join(_word(f) for f in rule.forms)}.")
        return None
    if item.form == "magnet" and rule.magnets:
        for magnet in rule.magnets:
            if set(magnet.requires) <= present:
                return _Candidate(rule, "certain", "composition",
                                  f"{has} in a {magnet.name}: {rule.id} covers {magnet.name}s {threshold}.")
        names = "; ".join(m.name for m in rule.magnets)
        return _Candidate(rule, "possible", "composition",
                          f"{has} in a magnet material that is not one {rule.id} lists ({names}).")
    if item.form == "alloy" and rule.alloys:
        for alloy in rule.alloys:
            if set(alloy) <= present:
                return _Candidate(rule, "certain", "composition",
                                  f"{has} in a {'-'.join(alloy)} alloy: {rule.id} covers {'-'.join(alloy)} alloys "
                                  f"{threshold}.")
        listed = ", ".join("-".join(a) for a in rule.alloys)
        return _Candidate(rule, "possible", "composition",
                          f"{has} in an alloy that is not among those {rule.id} lists ({listed}).")
    return _Candidate(rule, "certain", "composition",
                      f"{has} in {_a(_word(item.form))}: {rule.id} covers {name} {_plural(item.form)} {threshold}.")


def _by_hints(rule: Rule, work: _Work) -> _Candidate | None:
    item, element = work.item, rule.element or ""
    if item.form not in rule.forms and item.form != "article":
        return None
    if work.hs is not None:
        ref = _related_reference(rule, work.hs)
        if ref is not None:
            return _Candidate(rule, "possible", "hs_reference",
                              f"HS code {work.hs} is related to reference code {ref} of {rule.id}; HS code is only "
                              "a reference; composition needed.")
    english, chinese = ELEMENT_NAMES.get(element, (element.lower(), element))
    text = item.description.casefold()
    if _mentions(text, english) or chinese in text:
        return _Candidate(rule, "possible", "description",
                          f"The description mentions {english}: {rule.id} covers {english} "
                          f"{', '.join(_word(f) for f in rule.forms)}; composition needed to confirm.")
    return None


def _related_reference(rule: Rule, hs: HsCode) -> str | None:
    return next((ref for ref in rule.hs_reference if hs.related(ref)), None)


def _keyword_candidates(cl: ControlList, work: _Work) -> list[_Candidate]:
    item = work.item
    text = item.description.casefold()
    out: list[_Candidate] = []
    for rule in cl.rules_of(item.form):  # type: ignore[arg-type]
        words = [k for k in rule.keywords if _mentions(text, k)]
        if not words:
            work.steps.append(f"The description has none of the words that point to {rule.id} ({rule.title}).")
            work.note(f"Compare the {item.form} with {rule.id} ({short_name(cl.announcement(rule.announcement))}) "
                      "yourself: matching is by description words only.")
            continue
        certainty: Certainty = "possible" if rule.confirm else "certain"
        out.append(_Candidate(rule, certainty, "keyword",
                              f"The description mentions {', '.join(repr(w) for w in words)}: {rule.id} covers "
                              f"{rule.title}."))
        if rule.confirm:
            work.note(rule.confirm)
    return out


def _judge(cl: ControlList, c: _Candidate, as_of: date, exclusions: list[Exclusion], work: _Work) -> Match:
    rule = c.rule
    ann = short_name(cl.announcement(rule.announcement))
    status = cl.status(rule, as_of)
    state: State | Literal["excluded"] = status.state
    status_text = status.reason
    excluded_by = [e for e in exclusions if rule.announcement in e.applies_to]
    if excluded_by:
        state = "excluded"
        status_text = excluded_by[0].guidance
        for e in excluded_by:
            work.note(f"{e.guidance} Confirm that the item is such an article ({e.citation}).")
        work.steps.append(f"{c.reason} But: {excluded_by[0].guidance}")
    elif status.in_force:
        work.steps.append(f"{c.reason} {status.reason}.")
        for s in cl.lapsed_suspensions(rule, as_of):
            by = short_name(cl.announcement(s.announcement))
            work.note(f"The suspension of {ann} by {by} ended on {s.until.isoformat()}; this control list "
                      f"(checked {cl.checked.isoformat()}) records no extension; confirm with MOFCOM.")
    else:
        work.steps.append(f"{c.reason} Not applied on {as_of.isoformat()}: {status.reason}.")
    if c.certainty == "possible" and state == "in_force" and c.basis == "composition" and work.item.form != "article":
        work.note(f"{c.reason} Check the item against the annex text of {rule.id}.")
    elif c.certainty == "possible" and state == "in_force" and c.basis == "composition":
        work.note("Describe the article: MOFCOM guidance puts deep-processed articles (motor assemblies with embedded "
                  "magnets, moulded sensors, consumer goods with magnets) generally outside No. 18.")
    if not rule.verified and state == "in_force":
        work.note(f"{rule.id} is reconstructed from partial sources: {rule.note}")
    return Match(rule.id, ann, rule.title, rule.citation, c.certainty, c.basis, c.reason, state, status_text)


def _verdict(matches: list[Match], work: _Work) -> Verdict:
    live = [m for m in matches if m.state == "in_force"]
    if any(m.certainty == "certain" for m in live):
        return "controlled"
    if live:
        return "uncertain"
    if not work.item.composition and work.item.form in (*MATERIAL_FORMS, "article"):
        return "uncertain"
    return "not_controlled"


def _word(form: str) -> str:
    return {"magnet": "magnet material", "optical_fibre": "optical-fibre material",
            "hydrogen_storage": "hydrogen-storage material", "magnetic_refrigeration": "magnetic-refrigeration "
            "material", "luminescent": "luminescent material", "magnetostrictive": "magnetostrictive material",
            "ceramic": "ceramic material", "crystal": "crystal material"}.get(form, form)


def _plural(form: str) -> str:
    return _word(form) + "s"


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word
