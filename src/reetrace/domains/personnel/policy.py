"""The travel pre-approval policy: destination tiers, approval rules and time limits, configured as data.

A policy is a TOML document (the default is ``rules/travel-policy.toml`` next to this module; its comments
describe the format). :meth:`TravelPolicy.parse` validates it completely and names the source, the rule and the
field of every problem (``Error`` with code ``bad_policy``). A parsed policy has a canonical JSON form
(:meth:`TravelPolicy.as_json`) and a digest (sha256 of the RFC 8785 bytes of that form), recorded with every
decision so that a decision points at the exact rules that made it; :meth:`TravelPolicy.from_json` reads the
canonical form back (e.g. from the log).

:meth:`TravelPolicy.decide` is pure: facts (destinations, secrecy level, watch-list and cooling-off status,
purpose) in, a :class:`Decision` (an ordered approval chain, or a refusal) out. The highest tier among the
destinations decides; rules are tried in order and the first whose conditions all hold wins; the last rule has no
conditions, so every trip gets a decision.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from reetrace.errors import Detail, Error, invalid
from reetrace.events import canonical_json

from .countries import UnknownCountry, country

SECRECY_LEVELS: tuple[str, ...] = ("core", "important", "general")
APPROVER_LEVELS: tuple[str, ...] = ("enterprise", "group", "authority")  # in the order they act
CONDITIONS: tuple[str, ...] = ("tier", "secrecy_level", "watch_listed", "in_cooling_off", "purpose")
DEFAULT_TIER = 1
DEFAULT_POLICY = "rules/travel-policy.toml"

_TOP_KEYS = {"version", "effective", "purposes", "cooling_off_days", "passport_return_days",
             "debrief_working_days", "tiers", "rules"}
_REQUIRED_KEYS = ("version", "effective", "purposes", "cooling_off_days", "passport_return_days",
                  "debrief_working_days", "rules")
_IDENT = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Outcome = Literal["approve_chain", "refuse"]


@dataclass(frozen=True)
class TravelFacts:
    destinations: tuple[str, ...]  # ISO 3166-1 alpha-2
    secrecy_level: str  # core | important | general
    watch_listed: bool
    in_cooling_off: bool
    purpose: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    chain: tuple[str, ...]  # approver levels in the order they act; empty when refused
    tier: int
    rule_id: str
    reasons: tuple[str, ...]

    @property
    def refused(self) -> bool:
        return self.outcome == "refuse"


@dataclass(frozen=True)
class Tier:
    tier: int
    description: str
    destinations: tuple[str, ...]  # sorted

    def as_json(self) -> dict[str, Any]:
        return {"tier": self.tier, "description": self.description, "destinations": list(self.destinations)}


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    tiers: frozenset[int] | None = None
    secrecy_levels: frozenset[str] | None = None
    watch_listed: bool | None = None
    in_cooling_off: bool | None = None
    purposes: frozenset[str] | None = None
    chain: tuple[str, ...] = ()
    refuse: str | None = None

    @property
    def unconditional(self) -> bool:
        return (self.tiers is None and self.secrecy_levels is None and self.watch_listed is None
                and self.in_cooling_off is None and self.purposes is None)

    def matches(self, tier: int, facts: TravelFacts) -> bool:
        return ((self.tiers is None or tier in self.tiers)
                and (self.secrecy_levels is None or facts.secrecy_level in self.secrecy_levels)
                and (self.watch_listed is None or facts.watch_listed == self.watch_listed)
                and (self.in_cooling_off is None or facts.in_cooling_off == self.in_cooling_off)
                and (self.purposes is None or facts.purpose in self.purposes))

    def as_json(self) -> dict[str, Any]:
        when: dict[str, Any] = {}
        if self.tiers is not None:
            when["tier"] = sorted(self.tiers)
        if self.secrecy_levels is not None:
            when["secrecy_level"] = sorted(self.secrecy_levels)
        if self.watch_listed is not None:
            when["watch_listed"] = self.watch_listed
        if self.in_cooling_off is not None:
            when["in_cooling_off"] = self.in_cooling_off
        if self.purposes is not None:
            when["purpose"] = sorted(self.purposes)
        out: dict[str, Any] = {"id": self.id, "description": self.description, "when": when}
        if self.refuse is not None:
            out["refuse"] = self.refuse
        else:
            out["chain"] = list(self.chain)
        return out


class TravelPolicy:
    """A validated travel policy; immutable."""

    def __init__(self, *, version: str, effective: date, purposes: tuple[str, ...],
                 cooling_off: Mapping[str, int], passport_return_days: int, debrief_working_days: int,
                 tiers: tuple[Tier, ...], rules: tuple[Rule, ...], source: str = "<policy>") -> None:
        self._version = version
        self._effective = effective
        self._purposes = purposes
        self._cooling_off = dict(cooling_off)
        self._passport_return_days = passport_return_days
        self._debrief_working_days = debrief_working_days
        self._tiers = tiers
        self._rules = rules
        self._source = source
        self._tier_of = {code: t.tier for t in tiers for code in t.destinations}

    # -- construction ---------------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, source: str = "<policy>") -> TravelPolicy:
        """Parse and validate a TOML policy; raises ``Error(code="bad_policy")`` naming source, rule and field."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(source, [Detail(f"not valid TOML: {exc}", source)]) from None
        return cls._from_mapping(data, source)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "<policy json>") -> TravelPolicy:
        """Read the canonical JSON form (:meth:`as_json`) back, with the same validation as :meth:`parse`."""
        return cls._from_mapping(data, source)

    @classmethod
    def load(cls, path: str | Path) -> TravelPolicy:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad(str(p), [Detail(f"cannot read the policy: {exc}", str(p))]) from None
        return cls.parse(text, str(p))

    @staticmethod
    def default() -> TravelPolicy:
        """The policy shipped with reetrace (``rules/travel-policy.toml``)."""
        return _default_policy()

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any], source: str) -> TravelPolicy:
        p = _Parser(source)
        policy = p.policy(data)
        if p.problems or policy is None:
            raise _bad(source, p.problems)
        return policy

    # -- the canonical form ---------------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self._version,
            "effective": self._effective.isoformat(),
            "purposes": list(self._purposes),
            "cooling_off_days": dict(self._cooling_off),
            "passport_return_days": self._passport_return_days,
            "debrief_working_days": self._debrief_working_days,
            "tiers": [t.as_json() for t in self._tiers],
            "rules": [r.as_json() for r in self._rules],
        }

    @cached_property
    def digest(self) -> str:
        """sha256 hex of the RFC 8785 canonical JSON of :meth:`as_json`."""
        return hashlib.sha256(canonical_json(self.as_json(), "policy")).hexdigest()

    # -- reading --------------------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def effective(self) -> date:
        return self._effective

    @property
    def source(self) -> str:
        return self._source

    @property
    def purposes(self) -> tuple[str, ...]:
        return self._purposes

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self._tiers

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def passport_return_days(self) -> int:
        return self._passport_return_days

    @property
    def debrief_working_days(self) -> int:
        return self._debrief_working_days

    def cooling_off_days(self, level: str) -> int:
        try:
            return self._cooling_off[level]
        except KeyError:
            raise invalid(f"unknown secrecy level {level!r}", Detail(f"expected one of {', '.join(SECRECY_LEVELS)}",
                                                                   "secrecy_level")) from None

    def tier_of(self, alpha2: str) -> int:
        """The tier of a destination; raises :class:`UnknownCountry` for a code that is not ISO 3166-1 alpha-2."""
        code = alpha2 if len(alpha2) == 2 and alpha2.isupper() else alpha2.strip().upper()
        tier = self._tier_of.get(code)
        if tier is not None:
            return tier
        country(code)
        return DEFAULT_TIER

    # -- deciding -------------------------------------------------------------------------------------------

    def decide(self, facts: TravelFacts) -> Decision:
        """The approval chain (or refusal) for a trip; ``Error`` (code ``invalid``) if the facts are not valid."""
        tiers = self._validate(facts)
        tier = max(tiers.values())
        at_tier = [code for code, t in tiers.items() if t == tier]
        for rule in self._rules:
            if rule.matches(tier, facts):
                where = f"tier {tier} destination{'s' if len(at_tier) > 1 else ''} {', '.join(at_tier)}"
                reasons = [f"{where}: {rule.description}"]
                if rule.refuse is not None:
                    reasons.append(rule.refuse)
                    return Decision("refuse", (), tier, rule.id, tuple(reasons))
                return Decision("approve_chain", rule.chain, tier, rule.id, tuple(reasons))
        raise AssertionError("a parsed policy always ends with an unconditional rule")  # pragma: no cover

    def _validate(self, facts: TravelFacts) -> dict[str, int]:
        problems: list[Detail] = []
        tiers: dict[str, int] = {}
        if not facts.destinations:
            problems.append(Detail("at least one destination is required", "destinations"))
        for i, code in enumerate(facts.destinations):
            try:
                tiers.setdefault(code.strip().upper(), self.tier_of(code))
            except UnknownCountry as exc:
                problems.append(Detail(str(exc), f"destinations[{i}]"))
        if facts.secrecy_level not in SECRECY_LEVELS:
            problems.append(Detail(f"unknown secrecy level {facts.secrecy_level!r}; expected one of "
                                   f"{', '.join(SECRECY_LEVELS)}", "secrecy_level"))
        if facts.purpose not in self._purposes:
            problems.append(Detail(f"unknown purpose {facts.purpose!r}; expected one of {', '.join(self._purposes)}",
                                   "purpose"))
        if problems:
            raise invalid(f"the travel facts are not valid: {problems[0].location}: {problems[0].message}",
                          *problems)
        return tiers

    def __repr__(self) -> str:
        return f"TravelPolicy(version={self._version!r}, digest={self.digest[:12]}..., source={self._source!r})"


@lru_cache(maxsize=1)
def _default_policy() -> TravelPolicy:
    resource = resources.files(__package__ or "reetrace.domains.personnel").joinpath(DEFAULT_POLICY)
    return TravelPolicy.parse(resource.read_text(encoding="utf-8"), f"reetrace/domains/personnel/{DEFAULT_POLICY}")


def _bad(source: str, problems: list[Detail]) -> Error:
    first = problems[0] if problems else Detail("the policy is not valid", source)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Error(f"invalid travel policy {source}: {first.location}: {first.message}{more}", code="bad_policy",
                 http_status=400, details=problems)


class _Parser:
    """Collects every problem of a policy document, each located as "<source> rule 'id' field 'name'"."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Detail] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Detail(message, f"{self.source}: {where}"))

    def policy(self, data: Mapping[str, Any]) -> TravelPolicy | None:
        if not isinstance(data, Mapping):
            self.fail("document", "the policy must be a table (a JSON object)")
            return None
        for key in sorted(set(data) - _TOP_KEYS):
            self.fail(f"field '{key}'", f"unknown field; expected {', '.join(sorted(_TOP_KEYS))}")
        for key in _REQUIRED_KEYS:
            if key not in data:
                self.fail(f"field '{key}'", "missing")
        version = self.text(data.get("version"), "field 'version'")
        effective = self.effective(data.get("effective"))
        purposes = self.purposes(data.get("purposes"))
        cooling_off = self.cooling_off(data.get("cooling_off_days"))
        passport_days = self.days(data.get("passport_return_days"), "field 'passport_return_days'")
        debrief_days = self.days(data.get("debrief_working_days"), "field 'debrief_working_days'")
        tiers = self.tiers(data.get("tiers", []))
        rules = self.rules(data.get("rules"), {DEFAULT_TIER, *(t.tier for t in tiers)}, set(purposes))
        if self.problems or version is None or effective is None:
            return None
        return TravelPolicy(version=version, effective=effective, purposes=purposes, cooling_off=cooling_off,
                            passport_return_days=passport_days, debrief_working_days=debrief_days, tiers=tiers,
                            rules=rules, source=self.source)

    # -- scalars --

    def text(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"must be a non-empty string, got {value!r}")
            return None
        return value

    def effective(self, value: Any) -> date | None:
        if value is None:
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail("field 'effective'", f"must be a date (YYYY-MM-DD), got {value!r}")
        return None

    def days(self, value: Any, where: str) -> int:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36500:
            self.fail(where, f"must be a whole number of days between 0 and 36500, got {value!r}")
            return 0
        return value

    def purposes(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail("field 'purposes'", "must be a non-empty list of purpose names")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not _PURPOSE.match(item):
                self.fail(f"field 'purposes'[{i}]", f"must be a lower-case name (a-z, 0-9, _), got {item!r}")
            elif item in out:
                self.fail(f"field 'purposes'[{i}]", f"duplicate purpose {item!r}")
            else:
                out.append(item)
        return tuple(out)

    def cooling_off(self, value: Any) -> dict[str, int]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail("field 'cooling_off_days'", "must be a table of days by secrecy level")
            return {}
        out: dict[str, int] = {}
        for key in value:
            if key not in SECRECY_LEVELS:
                self.fail(f"field 'cooling_off_days.{key}'",
                          f"unknown secrecy level; expected {', '.join(SECRECY_LEVELS)}")
        for level in SECRECY_LEVELS:
            if level not in value:
                self.fail(f"field 'cooling_off_days.{level}'", "missing")
            else:
                out[level] = self.days(value[level], f"field 'cooling_off_days.{level}'")
        return out

    # -- tiers --

    def tiers(self, value: Any) -> tuple[Tier, ...]:
        if not isinstance(value, list):
            self.fail("field 'tiers'", "must be a list of tiers ([[tiers]] tables)")
            return ()
        out: list[Tier] = []
        seen_codes: dict[str, int] = {}
        for i, item in enumerate(value):
            where = f"tier[{i}]"
            if not isinstance(item, Mapping):
                self.fail(where, "must be a table with tier, description and destinations")
                continue
            number = item.get("tier")
            if isinstance(number, bool) or not isinstance(number, int) or not 2 <= number <= 9:
                self.fail(f"{where} field 'tier'", f"must be a whole number from 2 to 9 (1 is the default tier, "
                          f"for every destination not listed), got {number!r}")
                continue
            where = f"tier {number}"
            for key in sorted(set(item) - {"tier", "description", "destinations"}):
                self.fail(f"{where} field '{key}'", "unknown field; expected tier, description, destinations")
            if any(t.tier == number for t in out):
                self.fail(f"{where} field 'tier'", "listed twice")
                continue
            description = self.text(item.get("description"), f"{where} field 'description'")
            if description is None and "description" not in item:
                self.fail(f"{where} field 'description'", "missing")
            codes = item.get("destinations")
            if not isinstance(codes, list) or not codes:
                self.fail(f"{where} field 'destinations'", "must be a non-empty list of ISO 3166-1 alpha-2 codes")
                continue
            clean: list[str] = []
            for j, code in enumerate(codes):
                loc = f"{where} field 'destinations'[{j}]"
                if not isinstance(code, str):
                    self.fail(loc, f"must be a string, got {code!r}")
                    continue
                try:
                    alpha2 = country(code).alpha2
                except UnknownCountry as exc:
                    self.fail(loc, str(exc))
                    continue
                if alpha2 in seen_codes:
                    self.fail(loc, f"{alpha2} is already in tier {seen_codes[alpha2]}")
                    continue
                seen_codes[alpha2] = number
                clean.append(alpha2)
            out.append(Tier(number, description or "", tuple(sorted(clean))))
        return tuple(sorted(out, key=lambda t: t.tier))

    # -- rules --

    def rules(self, value: Any, tiers: set[int], purposes: set[str]) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail("field 'rules'", "must be a non-empty list of rules ([[rules]] tables)")
            return ()
        out: list[Rule] = []
        ids: set[str] = set()
        for i, item in enumerate(value):
            rule = self.rule(i, item, tiers, purposes)
            if rule is None:
                continue
            if rule.id in ids:
                self.fail(f"rule '{rule.id}' field 'id'", "duplicate rule id")
            ids.add(rule.id)
            out.append(rule)
        if len(out) == len(value):
            for rule in out[:-1]:
                if rule.unconditional:
                    self.fail(f"rule '{rule.id}' field 'when'",
                              "has no conditions but is not the last rule: every rule after it is unreachable")
            if not out[-1].unconditional:
                self.fail(f"rule '{out[-1].id}' field 'when'",
                          "the last rule must have no conditions (the default rule): a policy needs a default")
        return tuple(out)

    def rule(self, index: int, item: Any, tiers: set[int], purposes: set[str]) -> Rule | None:
        if not isinstance(item, Mapping):
            self.fail(f"rule[{index}]", "must be a table")
            return None
        rid = item.get("id")
        if not isinstance(rid, str) or not _IDENT.match(rid):
            self.fail(f"rule[{index}] field 'id'", f"must be a lower-case identifier (a-z, 0-9, _ . -), got {rid!r}")
            return None
        where = f"rule '{rid}'"
        before = len(self.problems)
        for key in sorted(set(item) - {"id", "description", "when", "chain", "refuse"}):
            self.fail(f"{where} field '{key}'", "unknown field; expected id, description, when, chain or refuse")
        description = self.text(item.get("description"), f"{where} field 'description'")
        if "description" not in item:
            self.fail(f"{where} field 'description'", "missing")
        when = item.get("when", {})
        if not isinstance(when, Mapping):
            self.fail(f"{where} field 'when'", "must be a table of conditions")
            when = {}
        for key in sorted(set(when) - set(CONDITIONS)):
            self.fail(f"{where} field 'when.{key}'", f"unknown condition; expected {', '.join(CONDITIONS)}")
        rule_tiers = self.ints(when, "tier", where, tiers)
        levels = self.names(when, "secrecy_level", where, set(SECRECY_LEVELS))
        rule_purposes = self.names(when, "purpose", where, purposes)
        watch = self.flag(when, "watch_listed", where)
        cooling = self.flag(when, "in_cooling_off", where)
        has_chain, has_refuse = "chain" in item, "refuse" in item
        chain: tuple[str, ...] = ()
        refuse: str | None = None
        if has_chain == has_refuse:
            self.fail(f"{where} field 'chain'", "a rule needs exactly one outcome: chain (approver levels) or refuse "
                      "(a reason)")
        elif has_chain:
            chain = self.chain(item["chain"], where)
        else:
            refuse = self.text(item["refuse"], f"{where} field 'refuse'")
        if len(self.problems) > before:
            return None
        return Rule(id=rid, description=description or "", tiers=rule_tiers, secrecy_levels=levels,
                    watch_listed=watch, in_cooling_off=cooling, purposes=rule_purposes, chain=chain, refuse=refuse)

    def ints(self, when: Mapping[str, Any], key: str, where: str, allowed: set[int]) -> frozenset[int] | None:
        if key not in when:
            return None
        raw = when[key]
        values = raw if isinstance(raw, list) else [raw]
        loc = f"{where} field 'when.{key}'"
        if not values:
            self.fail(loc, "an empty list matches nothing; leave the condition out instead")
            return None
        out: set[int] = set()
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                self.fail(loc, f"must be a tier number or a list of them, got {v!r}")
            elif v not in allowed:
                self.fail(loc, f"tier {v} is not defined (tiers: {', '.join(map(str, sorted(allowed)))})")
            else:
                out.add(v)
        return frozenset(out)

    def names(self, when: Mapping[str, Any], key: str, where: str, allowed: set[str]) -> frozenset[str] | None:
        if key not in when:
            return None
        raw = when[key]
        values = raw if isinstance(raw, list) else [raw]
        loc = f"{where} field 'when.{key}'"
        if not values:
            self.fail(loc, "an empty list matches nothing; leave the condition out instead")
            return None
        out: set[str] = set()
        for v in values:
            if not isinstance(v, str) or v not in allowed:
                self.fail(loc, f"{v!r} is not one of {', '.join(sorted(allowed))}")
            else:
                out.add(v)
        return frozenset(out)

    def flag(self, when: Mapping[str, Any], key: str, where: str) -> bool | None:
        if key not in when:
            return None
        value = when[key]
        if not isinstance(value, bool):
            self.fail(f"{where} field 'when.{key}'", f"must be true or false, got {value!r}")
            return None
        return value

    def chain(self, value: Any, where: str) -> tuple[str, ...]:
        loc = f"{where} field 'chain'"
        if not isinstance(value, list) or not value:
            self.fail(loc, "must be a non-empty list of approver levels (use refuse for a refusal)")
            return ()
        for v in value:
            if not isinstance(v, str) or v not in APPROVER_LEVELS:
                self.fail(loc, f"{v!r} is not an approver level ({', '.join(APPROVER_LEVELS)})")
                return ()
        if len(set(value)) != len(value):
            self.fail(loc, f"an approver level appears twice in {value}")
            return ()
        ranks = [APPROVER_LEVELS.index(v) for v in value]
        if ranks != sorted(ranks):
            self.fail(loc, f"levels must act in the order {', '.join(APPROVER_LEVELS)}; got {', '.join(value)}")
            return ()
        return tuple(value)

