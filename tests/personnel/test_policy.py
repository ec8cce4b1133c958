"""The travel policy engine: a decision table over the default policy, its invariants, and malformed policies."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date
from pathlib import Path

import pytest

from reetrace.domains.personnel.policy import (
    APPROVER_LEVELS,
    SECRECY_LEVELS,
    Decision,
    TravelFacts,
    TravelPolicy,
)
from reetrace.errors import Error
from reetrace.events import canonical_json

POLICY = TravelPolicy.default()
E, G, A = "enterprise", "group", "authority"

# destinations of the default (example) configuration: ES tier 1, HK/MO/US tier 2, SY/AF tier 3
# (dests, level, watch_listed, in_cooling_off, purpose) -> (outcome, chain, tier, rule id)
TABLE: list[tuple[tuple[str, ...], str, bool, bool, str, str, tuple[str, ...], int, str]] = [
    # tier 1
    (("ES",), "general", False, False, "tourism", "approve_chain", (E,), 1, "default"),
    (("ES", "IT"), "general", False, False, "conference", "approve_chain", (E,), 1, "default"),
    (("ES",), "important", False, False, "conference", "approve_chain", (E, G), 1, "tier1-core-important"),
    (("BR",), "core", False, False, "business", "approve_chain", (E, G), 1, "tier1-core-important"),
    (("ES",), "general", True, False, "family", "approve_chain", (E, G, A), 1, "watch-listed"),
    (("ES",), "general", False, True, "family", "approve_chain", (E, G, A), 1, "cooling-off"),
    (("ES",), "core", True, True, "medical", "approve_chain", (E, G, A), 1, "watch-listed"),
    # tier 2: two levels even for Hong Kong
    (("HK",), "general", False, False, "business", "approve_chain", (E, G), 2, "tier2"),
    (("MO",), "general", False, False, "tourism", "approve_chain", (E, G), 2, "tier2"),
    (("hk",), "important", False, False, "family", "approve_chain", (E, G), 2, "tier2"),
    (("ES", "US"), "general", False, False, "conference", "approve_chain", (E, G), 2, "tier2"),
    (("HK",), "core", False, False, "business", "approve_chain", (E, G, A), 2, "tier2-core"),
    (("US",), "important", True, False, "conference", "approve_chain", (E, G, A), 2, "watch-listed"),
    (("US",), "important", False, True, "conference", "approve_chain", (E, G, A), 2, "cooling-off"),
    # tier 3: refused unless the authority approves, and only for some purposes
    (("SY",), "general", False, False, "conference", "approve_chain", (E, G, A), 3, "tier3-authority"),
    (("AF", "US"), "important", False, False, "business", "approve_chain", (E, G, A), 3, "tier3-authority"),
    (("SY",), "core", True, False, "academic_exchange", "approve_chain", (E, G, A), 3, "tier3-authority"),
    (("SY",), "important", False, True, "academic_exchange", "approve_chain", (E, G, A), 3, "tier3-authority"),
    (("SY",), "general", False, False, "tourism", "refuse", (), 3, "refuse-tier3"),
    (("ES", "SY"), "general", False, False, "family", "refuse", (), 3, "refuse-tier3"),
    (("SY",), "core", False, True, "conference", "refuse", (), 3, "refuse-core-cooling-off-tier3"),
    (("YE",), "core", True, True, "business", "refuse", (), 3, "refuse-core-cooling-off-tier3"),
]


@pytest.mark.parametrize(("dests", "level", "watch", "cooling", "purpose", "outcome", "chain", "tier", "rule"),
                         TABLE, ids=[f"{r[8]}:{'+'.join(r[0])}:{r[1]}:{r[4]}" for r in TABLE])
def test_decision_table(dests: tuple[str, ...], level: str, watch: bool, cooling: bool, purpose: str,
                        outcome: str, chain: tuple[str, ...], tier: int, rule: str) -> None:
    decision = POLICY.decide(TravelFacts(dests, level, watch, cooling, purpose))
    assert (decision.outcome, decision.chain, decision.tier, decision.rule_id) == (outcome, chain, tier, rule)
    assert decision.reasons and decision.reasons[0].startswith(f"tier {tier} destination")
    assert decision.refused == (outcome == "refuse")


def test_every_rule_of_the_default_policy_is_exercised() -> None:
    assert {row[8] for row in TABLE} == {rule.id for rule in POLICY.rules}


def test_reasons_are_readable() -> None:
    d = POLICY.decide(TravelFacts(("HK",), "general", False, False, "business"))
    assert d.reasons == ("tier 2 destination HK: two approvals",)
    d = POLICY.decide(TravelFacts(("ES", "SY", "AF"), "general", False, False, "tourism"))
    assert d.reasons[0] == "tier 3 destinations SY, AF: refused for any other purpose"
    assert d.reasons[1] == "tier 3 destinations are open only for a conference, an academic exchange or business"


ALL_FACTS = [TravelFacts(dests, level, watch, cooling, purpose)
             for dests in (("ES",), ("HK",), ("US", "FR"), ("SY",), ("ES", "AF"))
             for level in SECRECY_LEVELS
             for watch in (False, True)
             for cooling in (False, True)
             for purpose in POLICY.purposes]


def test_default_policy_invariants() -> None:
    """Over every combination of tier, secrecy level, watch list, cooling-off and purpose."""
    for facts in ALL_FACTS:
        _check_invariants(facts, POLICY.decide(facts))


def _check_invariants(facts: TravelFacts, d: Decision) -> None:
    where = f"{facts} -> {d}"
    if d.refused:
        assert d.chain == (), where
        assert d.tier == 3, where  # only tier 3 is ever refused by the default policy
        assert facts.purpose not in {"conference", "academic_exchange", "business"} or (
            facts.secrecy_level == "core" and facts.in_cooling_off), where
        return
    assert d.chain and list(d.chain) == sorted(d.chain, key=APPROVER_LEVELS.index), where
    assert d.chain[0] == "enterprise", where
    if facts.watch_listed or facts.in_cooling_off:
        assert "authority" in d.chain, where
    if d.tier >= 2:
        assert len(d.chain) >= 2, where
    if d.tier == 2 and facts.secrecy_level == "core":
        assert "authority" in d.chain, where
    if d.tier == 3:
        assert "authority" in d.chain and facts.purpose in {"conference", "academic_exchange", "business"}, where
        assert not (facts.secrecy_level == "core" and facts.in_cooling_off), where
    if d.tier == 1 and facts.secrecy_level == "general" and not facts.watch_listed and not facts.in_cooling_off:
        assert d.chain == ("enterprise",), where
    if d.tier == 1 and facts.secrecy_level != "general":
        assert len(d.chain) >= 2, where


def test_tiers_and_limits_of_the_default_policy() -> None:
    assert POLICY.tier_of("HK") == POLICY.tier_of("mo") == 2
    assert POLICY.tier_of("SY") == 3
    assert POLICY.tier_of("ES") == 1
    assert POLICY.cooling_off_days("core") == 1095
    assert POLICY.cooling_off_days("important") == 730
    assert POLICY.cooling_off_days("general") == 365
    assert POLICY.passport_return_days == 7
    assert POLICY.debrief_working_days == 5
    assert POLICY.effective == date(2026, 1, 1)
    assert POLICY.version
    assert set(POLICY.purposes) >= {"conference", "business", "academic_exchange", "training", "family", "tourism",
                                    "medical", "other"}
    with pytest.raises(Error, match="unknown secrecy level 'secret'"):
        POLICY.cooling_off_days("secret")
    with pytest.raises(ValueError, match="unknown destination code 'XX'"):
        POLICY.tier_of("XX")


def test_bad_facts_are_refused_with_every_field_named() -> None:
    with pytest.raises(Error) as exc:
        POLICY.decide(TravelFacts(("ES", "XX"), "secret", False, False, "holiday"))
    assert exc.value.code == "invalid"
    assert [d.location for d in exc.value.details] == ["destinations[1]", "secrecy_level", "purpose"]
    assert "unknown destination code 'XX'" in exc.value.details[0].message
    with pytest.raises(Error, match="at least one destination"):
        POLICY.decide(TravelFacts((), "general", False, False, "tourism"))


def test_digest_is_sha256_of_canonical_json_and_round_trips() -> None:
    canonical = canonical_json(POLICY.as_json())
    assert POLICY.digest == hashlib.sha256(canonical).hexdigest()
    assert len(POLICY.digest) == 64
    again = TravelPolicy.from_json(json.loads(canonical))
    assert again.digest == POLICY.digest
    assert again.as_json() == POLICY.as_json()
    assert TravelPolicy.default() is POLICY  # loaded once


def test_digest_ignores_layout_but_not_content() -> None:
    text = _default_text()
    relaid = "# a comment\n" + text.replace("effective = 2026-01-01", "effective   =   2026-01-01  # same day")
    assert TravelPolicy.parse(relaid).digest == POLICY.digest
    changed = text.replace('description = "two approvals"', 'description = "two approvals, please"')
    assert TravelPolicy.parse(changed).digest != POLICY.digest


def test_policy_file_ships_next_to_the_module() -> None:
    import reetrace.domains.personnel.policy as module

    assert (Path(module.__file__).parent / "rules" / "travel-policy.toml").is_file()


def _default_text() -> str:
    import reetrace.domains.personnel.policy as module

    return (Path(module.__file__).parent / "rules" / "travel-policy.toml").read_text(encoding="utf-8")


MINIMAL = """
version = "t1"
effective = 2026-01-01
purposes = ["conference", "tourism"]
passport_return_days = 7
debrief_working_days = 5

[cooling_off_days]
core = 1095
important = 730
general = 365

[[tiers]]
tier = 2
description = "two"
destinations = ["HK"]
"""


def _rules(*rules: str) -> str:
    return MINIMAL + "".join(f"\n[[rules]]\n{r.strip()}\n" for r in rules)


DEFAULT_RULE = 'id = "default"\ndescription = "d"\nchain = ["enterprise"]'


def test_minimal_policy_parses() -> None:
    policy = TravelPolicy.parse(_rules(DEFAULT_RULE), "mini.toml")
    assert policy.source == "mini.toml"
    assert policy.decide(TravelFacts(("HK",), "core", True, True, "tourism")) == Decision(
        "approve_chain", ("enterprise",), 2, "default", ("tier 2 destination HK: d",))


BAD: list[tuple[str, str, str]] = [
    # (policy text, expected location, expected message fragment)
    (_rules('id = "tier2"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["enterprise", "group"]'),
     "bad.toml: rule 'tier2' field 'when'", "the last rule must have no conditions"),
    ("rules = []\n" + MINIMAL, "bad.toml: field 'rules'", "non-empty list"),
    (MINIMAL, "bad.toml: field 'rules'", "missing"),
    (_rules(DEFAULT_RULE, 'id = "late"\ndescription = "x"\nchain = ["enterprise"]'),
     "bad.toml: rule 'default' field 'when'", "unreachable"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["board"]', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'chain'", "'board' is not an approver level"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["group", "enterprise"]', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'chain'", "levels must act in the order enterprise, group, authority"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["enterprise", "enterprise"]',
            DEFAULT_RULE), "bad.toml: rule 'r1' field 'chain'", "appears twice"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = []', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'chain'", "non-empty list"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'chain'", "exactly one outcome"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["group"]\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'chain'", "exactly one outcome"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 4 }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.tier'", "tier 4 is not defined"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { secrecy_level = "secret" }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.secrecy_level'", "'secret' is not one of core, general, important"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { purpose = ["spying"] }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.purpose'", "'spying' is not one of conference, tourism"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { purpose = [] }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.purpose'", "an empty list matches nothing"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { watch_listed = "yes" }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.watch_listed'", "must be true or false"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { destination = "US" }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'when.destination'", "unknown condition"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nrefuse = ""', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'refuse'", "non-empty string"),
    (_rules('id = "r1"\nwhen = { tier = 2 }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'description'", "missing"),
    (_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nrefuse = "no"\nprio = 1', DEFAULT_RULE),
     "bad.toml: rule 'r1' field 'prio'", "unknown field"),
    (_rules('id = "Bad Id"\ndescription = "x"\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule[0] field 'id'", "lower-case identifier"),
    (_rules('description = "x"\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule[0] field 'id'", "lower-case identifier"),
    (_rules('id = "default"\ndescription = "x"\nwhen = { tier = 2 }\nrefuse = "no"', DEFAULT_RULE),
     "bad.toml: rule 'default' field 'id'", "duplicate rule id"),
    (_rules(DEFAULT_RULE).replace('destinations = ["HK"]', 'destinations = ["HK", "XX"]'),
     "bad.toml: tier 2 field 'destinations'[1]", "unknown destination code 'XX'"),
    (_rules(DEFAULT_RULE) + '\n[[tiers]]\ntier = 3\ndescription = "t"\ndestinations = ["hk"]\n',
     "bad.toml: tier 3 field 'destinations'[0]", "HK is already in tier 2"),
    (_rules(DEFAULT_RULE) + '\n[[tiers]]\ntier = 1\ndescription = "t"\ndestinations = ["FR"]\n',
     "bad.toml: tier[1] field 'tier'", "1 is the default tier"),
    (_rules(DEFAULT_RULE) + '\n[[tiers]]\ntier = 3\ndescription = "t"\ndestinations = ["FR"]\nlevel = 3\n',
     "bad.toml: tier 3 field 'level'", "unknown field"),
    (_rules(DEFAULT_RULE).replace("general = 365", ""), "bad.toml: field 'cooling_off_days.general'", "missing"),
    (_rules(DEFAULT_RULE).replace("general = 365", "general = -1"),
     "bad.toml: field 'cooling_off_days.general'", "whole number of days"),
    (_rules(DEFAULT_RULE).replace("general = 365", "general = 365\nsecret = 9"),
     "bad.toml: field 'cooling_off_days.secret'", "unknown secrecy level"),
    (_rules(DEFAULT_RULE).replace("passport_return_days = 7", "passport_return_days = true"),
     "bad.toml: field 'passport_return_days'", "whole number of days"),
    (_rules(DEFAULT_RULE).replace("debrief_working_days = 5\n", ""), "bad.toml: field 'debrief_working_days'",
     "missing"),
    (_rules(DEFAULT_RULE).replace('effective = 2026-01-01', 'effective = "soon"'),
     "bad.toml: field 'effective'", "must be a date"),
    (_rules(DEFAULT_RULE).replace('version = "t1"', 'version = ""'), "bad.toml: field 'version'", "non-empty"),
    (_rules(DEFAULT_RULE).replace('purposes = ["conference", "tourism"]', 'purposes = ["tourism", "tourism"]'),
     "bad.toml: field 'purposes'[1]", "duplicate purpose"),
    (_rules(DEFAULT_RULE) + "\nowner = 'me'\n", "bad.toml: rule 'default' field 'owner'", "unknown field"),
    ("owner = 'me'\n" + _rules(DEFAULT_RULE), "bad.toml: field 'owner'", "unknown field"),
    ("version = [", "bad.toml", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "location", "fragment"), BAD, ids=[f"{i}:{b[1]}" for i, b in enumerate(BAD)])
def test_malformed_policy_is_rejected_naming_source_rule_and_field(text: str, location: str, fragment: str) -> None:
    with pytest.raises(Error) as exc:
        TravelPolicy.parse(text, "bad.toml")
    err = exc.value
    assert err.code == "bad_policy"
    hits = [d for d in err.details if d.location == location and fragment in d.message]
    assert hits, err.diagnostics()
    assert str(err).startswith("invalid travel policy bad.toml: bad.toml")
    assert err.details[0].location in str(err)


def test_every_problem_is_reported_at_once() -> None:
    text = _rules('id = "r1"\ndescription = "x"\nwhen = { tier = 9 }\nchain = ["board"]',
                  'id = "r2"\ndescription = "y"\nwhen = { purpose = "spying" }\nrefuse = "no"', DEFAULT_RULE)
    with pytest.raises(Error) as exc:
        TravelPolicy.parse(text.replace("general = 365", "general = 'x'"), "bad.toml")
    locations = [d.location for d in exc.value.details]
    assert "bad.toml: field 'cooling_off_days.general'" in locations
    assert "bad.toml: rule 'r1' field 'when.tier'" in locations
    assert "bad.toml: rule 'r1' field 'chain'" in locations
    assert "bad.toml: rule 'r2' field 'when.purpose'" in locations
    assert "(and 3 more)" in str(exc.value)


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(_rules('id = "r1"\ndescription = "x"\nwhen = { tier = 2 }\nchain = ["enterprise"]'),
                    encoding="utf-8")
    with pytest.raises(Error) as exc:
        TravelPolicy.load(path)
    assert exc.value.details[0].location == f"{path}: rule 'r1' field 'when'"
    with pytest.raises(Error, match="cannot read the policy"):
        TravelPolicy.load(tmp_path / "missing.toml")


def test_from_json_validates_too() -> None:
    data = POLICY.as_json()
    data["rules"] = data["rules"][:-1]  # drop the default rule
    with pytest.raises(Error) as exc:
        TravelPolicy.from_json(data, "log entry 42")
    assert exc.value.details[0].location == "log entry 42: rule 'tier1-core-important' field 'when'"


def test_first_matching_rule_wins() -> None:
    text = _rules('id = "refuse-tourism"\ndescription = "x"\nwhen = { purpose = "tourism" }\nrefuse = "no tourism"',
                  'id = "tourism-ok"\ndescription = "y"\nwhen = { purpose = "tourism" }\nchain = ["enterprise"]',
                  DEFAULT_RULE)
    policy = TravelPolicy.parse(text)
    assert policy.decide(TravelFacts(("FR",), "general", False, False, "tourism")).rule_id == "refuse-tourism"
    assert policy.decide(TravelFacts(("FR",), "general", False, False, "conference")).rule_id == "default"


def test_decide_is_fast_enough() -> None:
    facts = list(itertools.islice(itertools.cycle(ALL_FACTS), 20_000))
    import time

    t0 = time.perf_counter()
    for f in facts:
        POLICY.decide(f)
    assert time.perf_counter() - t0 < 5.0  # tens of thousands a second on this machine; a loose ceiling
