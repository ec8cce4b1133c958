"""Screening the parties of a licence application against the stored party lists, and the flags a reviewer sees.

Every party is screened: the consignee, the end user, each intermediary, and every owner of one of them holding
50 % or more. Hits keep the matcher's explanation. A hit on China's export control list (管控名单) or unreliable
entity list, on the party or on a 50 %-owner of it, and a declared military end use set a "presumption of denial"
flag; a hit on China's export-control watch list (关注名单) sets a flag for attention. MOFCOM 2025 No. 61 states
the presumption of denial for military end users and listed parties and their 50 %-owned subsidiaries; the flag
says whether No. 61 is in force on the submission date (No. 70 suspends it until 2026-11-10). Without No. 61 the
flag stands as a reviewer's warning: these parties are what China's own lists and the Export Control Law's
control-list provisions are about. When no list is loaded, the record says so and no party counts as screened.
A hit whitelisted as a false positive (see :mod:`reetrace.domains.screening.whitelist`) for the applicant's tenant
is kept with ``whitelisted: <reason>`` and sets no flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from reetrace.domains.screening.lists import latest_versions, party_index
from reetrace.domains.screening.matcher import Hit, PartyIndex
from reetrace.domains.screening.whitelist import WhitelistEntry, applicable, party_key

from .application_models import Flag, Party, ScreenedParty, Screening
from .controllist import ControlList, short_name

DENIAL_LISTS = {"cn_mofcom_control": "China's export control list (管控名单)",
                "cn_mofcom_uel": "China's unreliable entity list (不可靠实体清单)"}
WATCH_LISTS = {"cn_mofcom_watch": "China's export control watch list (关注名单)"}
CONTROLLING_SHARE = Decimal(50)
MILITARY_WORDS = ("military", "defence", "defense", "weapon", "missile", "munition", "军")
NO_61_RULE = "61-P3"
HIT_LIMIT = 5


def no_61_status(day: date, cl: ControlList) -> str:
    """Whether No. 61 (and so its presumption of denial) applies on ``day``, in words."""
    try:
        rule = cl.rule(NO_61_RULE)
    except KeyError:
        return "No. 61 is not in this control list"
    status = cl.status(rule, day)
    name = short_name(cl.announcement(rule.announcement))
    if status.in_force:
        return f"{name} is in force on {day.isoformat()}: its presumption of denial applies"
    return (f"{name} does not apply on {day.isoformat()} ({status.reason}); the flag stands as a warning for the "
            "reviewer")


def _names(roles: Sequence[tuple[str, Party]]) -> list[tuple[str, str, str]]:
    """(role, name, country) of every party and every owner with 50 % or more."""
    out = []
    for role, party in roles:
        out.append((role, party.name, party.country))
        for n, owner in enumerate(party.owners):
            if owner.share >= CONTROLLING_SHARE:
                out.append((f"{role}.owners[{n}]", owner.name, owner.country))
    return out


def screen_parties(conn: Connection, roles: Sequence[tuple[str, Party]], end_use: str, military_end_use: bool,
                   day: date, cl: ControlList, *, tenant: str | None = None,
                   index: PartyIndex | None = None) -> Screening:
    """Screen every party; ``tenant`` (the applicant's) selects the whitelist that applies (none when None)."""
    no61 = no_61_status(day, cl)
    flags: list[Flag] = []
    text = end_use.casefold()
    words = [w for w in MILITARY_WORDS if w in text]
    if military_end_use or words:
        declared = "declared as military" if military_end_use else f"the end use mentions {', '.join(words)}"
        flags.append(Flag(code="military_end_use", explanation=f"Military end use ({declared}): presumption of "
                          f"denial for military end uses and end users. {no61}."))
    versions = latest_versions(conn)
    names = _names(roles)
    if not versions:
        return Screening(note="No party lists are loaded (run `reetrace lists update DIR`): the parties were not "
                              "screened.", parties=tuple(ScreenedParty(role=r, name=n, country=c)
                                                         for r, n, c in names), flags=tuple(flags))
    index = index or party_index(conn)
    allowed = applicable(conn, tenant) if tenant is not None else {}
    screened = []
    for role, name, country in names:
        hits = index.screen(name, limit=HIT_LIMIT)
        cleared = {h.party.key: e for h in hits
                   if (e := allowed.get((party_key(name), h.party.list_id, h.party.record_id))) is not None}
        screened.append(ScreenedParty(role=role, name=name, country=country,
                                      hits=tuple(_hit(h, cleared.get(h.party.key)) for h in hits)))
        flags += _flags(role, name, [h for h in hits if h.party.key not in cleared], no61)
    lists = tuple(f"{k} v{v['version']}" for k, v in sorted(versions.items()))
    return Screening(lists=lists, parties=tuple(screened), flags=tuple(flags))


def _hit(hit: Hit, entry: WhitelistEntry | None) -> dict[str, object]:
    out = hit.as_dict()
    if entry is not None:
        out["whitelisted"] = f"whitelisted: {entry.reason}"
        out["whitelisted_by"] = f"{entry.added_by} ({entry.tenant})"
    return out


def _flags(role: str, name: str, hits: Sequence[Hit], no61: str) -> list[Flag]:
    out = []
    owner = ".owners[" in role
    for hit in hits:
        listed = f"{hit.party.name!r} ({hit.party.list_id} {hit.party.record_id}, score {hit.score:.2f})"
        if hit.party.list_id in DENIAL_LISTS:
            whose = (f"{role.split('.owners[')[0]} is at least 50 % owned by {name!r}, which matches" if owner
                     else f"{name!r} matches")
            out.append(Flag(code="listed_party", party=role, explanation=(
                f"Presumption of denial: {whose} {listed} on {DENIAL_LISTS[hit.party.list_id]}. {no61}.")))
        elif hit.party.list_id in WATCH_LISTS:
            out.append(Flag(code="watch_list", party=role, explanation=(
                f"{name!r} matches {listed} on {WATCH_LISTS[hit.party.list_id]}: review the end user and end use "
                "closely.")))
    return out
