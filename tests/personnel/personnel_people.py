"""Helpers for personnel tests: enterprises in two group tenants, valid resident ids, forms, callers, snapshots.

Tenants: ``group-north`` (ENT-N1 in Inner Mongolia, ENT-N2 in Jiangxi) and ``group-south`` (ENT-S1 in
Guangdong). Resident ids are generated with a valid GB 11643 check digit, unique per call.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import Any

from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.models import Caller, PersonInput, Registered
from reetrace.domains.personnel.service import register_person
from reetrace.domains.registry.service import register_enterprise
from reetrace.domains.tables import metadata
from reetrace.storage.engine import read_transaction
from support.logdb import enterprise, log_size, snapshot, stored_entries

NORTH = Caller.of("officer-north", "group-north")
SOUTH = Caller.of("officer-south", "group-south")
TODAY = date(2026, 11, 20)
ENTERPRISES = {"ENT-N1": ("group-north", "Inner Mongolia"), "ENT-N2": ("group-north", "Jiangxi"),
               "ENT-S1": ("group-south", "Guangdong")}

_sequence = itertools.count(1)


def resident_id(birth: date = date(1980, 5, 17), region: str = "150203") -> str:
    """A valid, never-repeated resident id (the sequence runs through births and 3-digit sequences)."""
    n = next(_sequence)
    return make_resident_id(region, birth.replace(year=birth.year + (n // 999) % 20), n % 999 + 1)


def wrong_check_digit(number: str) -> tuple[str, str, str]:
    """The number with a wrong check digit, that digit, and the expected one."""
    expected = number[17]
    wrong = "3" if expected != "3" else "5"
    return number[:17] + wrong, wrong, expected


def form(**changes: Any) -> PersonInput:
    fields: dict[str, Any] = {
        "enterprise_id": "ENT-N1", "name_zh": "张伟", "name_latin": "Zhang Wei", "resident_id": resident_id(),
        "nationality": "CN", "secrecy_level": "core", "post": "Chief extraction engineer",
        "hired_on": date(2010, 3, 1), "expertise": ("solvent_extraction", "analysis"),
        "education": "PhD, Inner Mongolia University of Science and Technology, 2009",
        "research_history": "Cascade extraction of Pr/Nd, 2009-2020", "publications": "CN112345678A",
        "technologies": ("RE-TECH-SX-01",), "documents": ("DOC-0001", "DOC-0002"),
    }
    return PersonInput.model_validate({**fields, **changes})


def add_enterprises(container: Container) -> None:
    with container.unit_of_work() as (uow, _):
        for enterprise_id, (tenant, province) in ENTERPRISES.items():
            register_enterprise(uow, tenant, "tester", enterprise(enterprise_id, province=province))


def register(container: Container, caller: Caller = NORTH, **changes: Any) -> Registered:
    with container.unit_of_work() as (uow, vault):
        return register_person(uow, vault, caller, form(**changes), today=TODAY)


def state(container: Container) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    """The log size and every table's rows: equal before and after a refused command means nothing was written."""
    return log_size(container.engine), snapshot(container.engine)


def log_text(container: Container) -> str:
    return "\n".join(e.decode("utf-8") for _, e, _ in stored_entries(container.engine))


def projection_text(container: Container) -> str:
    """Every row of every projection table, as text (to prove personal values are not there)."""
    out = []
    with read_transaction(container.engine) as conn:
        for table in metadata.sorted_tables:
            if table.info.get("projection"):
                out += [json.dumps([str(v) for v in row], ensure_ascii=False) for row in conn.execute(select(table))]
    return "\n".join(out)
