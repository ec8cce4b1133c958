"""The documents part of the demo on a small world: documents registered, copies issued in batches, and the three
planted leaks (a pasted excerpt, a photographed page, a diagram mixed by two colluders) traced to their copies;
the plan is saved with the leaked files; a tampered plan's leak is not found."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.demo import documents
from reetrace.demo.run import SEED
from reetrace.domains.documents.tables import copies, pictures
from reetrace.domains.documents.tables import documents as documents_table
from support.travel_world import build_world

SMALL = documents.DocumentsPlan(documents=12, diagrams=3, copies=120, recipients_per_document=12,
                                pdf_documents=1, png_diagrams=1)


@pytest.mark.slow
def test_every_planted_leak_is_traced_to_its_copies(container: Container) -> None:
    world = build_world(container)
    for n in range(24):
        world.person(enterprise_id="ENT-N1" if n % 2 else "ENT-S1")
    steps: list[tuple[str, int]] = []
    planted = documents.build_documents(container, random.Random(SEED), SMALL, lambda w, n: steps.append((w, n)))
    assert planted.documents == 12 and planted.copies == 120
    assert sum(n for _, n in steps) == 12
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents_table)).scalar_one() == 12
        assert conn.execute(select(func.count()).select_from(copies)).scalar_one() == 120
        assert conn.execute(select(func.count()).select_from(pictures)).scalar_one() >= 3  # pages and diagrams
    home = container.settings.home
    assert {p.name for p in home.glob("leak-*")} == {"leak-excerpt.txt", "leak-photo.jpg", "leak-diagram.png"}
    excerpt = (home / "leak-excerpt.txt").read_text(encoding="utf-8").strip()
    assert SMALL.excerpt_characters - 2 <= len(excerpt) <= SMALL.excerpt_characters
    found = documents.analyse_documents(container)
    assert [f.check for f in found] == ["documents: pasted excerpt", "documents: photographed page",
                                        "documents: diagram leaked by two colluders"]
    assert all(f.ok for f in found), found
    # a plan that names another copy as the leaker is not confirmed: the comparison is real
    plan = json.loads((home / documents.PLAN_FILE).read_text(encoding="utf-8"))
    plan["leaks"]["pasted excerpt"]["copies"] = ["RT-CPY-0000000000000000"]
    (home / documents.PLAN_FILE).write_text(json.dumps(plan), encoding="utf-8")
    again = {f.check: f.ok for f in documents.analyse_documents(container)}
    assert again["documents: pasted excerpt"] is False


def test_no_plan_no_findings(container: Container) -> None:
    assert documents.analyse_documents(container) == []


@pytest.mark.slow
def test_a_machine_without_system_fonts_still_plants_and_traces(container: Container,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine with only Python: no CJK font (Chinese PDF copies are skipped with the reason), no DejaVu
    (Latin pages drawn with Pillow's built-in font); the three leaks are still planted and traced."""
    from reetrace.domains.documents import pages

    monkeypatch.setattr(pages, "CJK_FONT_PATHS", ())
    monkeypatch.setattr(pages, "LATIN_FONT_PATHS", ())
    monkeypatch.delenv("REETRACE_CJK_FONT", raising=False)
    monkeypatch.delenv("REETRACE_FONT", raising=False)
    world = build_world(container)
    for n in range(24):
        world.person(enterprise_id="ENT-N1" if n % 2 else "ENT-S1")
    plan = documents.DocumentsPlan(documents=12, diagrams=3, copies=120, recipients_per_document=12,
                                   pdf_documents=6, png_diagrams=1)
    documents.build_documents(container, random.Random(SEED + 1), plan, lambda w, n: None)
    found = documents.analyse_documents(container)
    assert len(found) == 3 and all(f.ok for f in found), found
