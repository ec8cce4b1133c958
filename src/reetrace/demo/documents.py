"""The technical-documents part of the demo world: 300 registered documents, 20,000 fingerprinted copies and three
planted leaks, traced back to who leaked them.

Documents are generated (:mod:`.doctexts`): process specifications in Chinese and English, and flow diagrams (PNG),
registered by each group's security officer with the group's experts as allowed recipients. Copies go to those
experts, each for a named workstation from an address of the group's network. Planted, with what was leaked saved
in the data folder so that anyone can trace it again (``reetrace documents trace FILE``):

- a pasted excerpt of a Chinese process specification: 1,000 characters of one expert's copy as a chat keeps them
  (NFKC, zero-width characters stripped, whitespace collapsed) — ``leak-excerpt.txt``;
- a photographed page: page 1 of an English specification's PDF copy, through the simulated phone photo (perspective,
  uneven light, blur, noise, JPEG) — ``leak-photo.jpg``;
- a diagram leaked by two colluding engineers, who mixed their two copies region by region — ``leak-diagram.png``.

:func:`analyse_documents` traces the three files as the owner's security officer and compares whom the traces
accuse with the plan (``documents-plan.json``).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.documents import access, channels, pictures, registry
from reetrace.domains.documents.extract import pdf_pages
from reetrace.domains.documents.models import IssuedCopy
from reetrace.domains.documents.textmarks import channel
from reetrace.domains.personnel.models import Caller
from reetrace.domains.personnel.tables import persons
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction

from . import doctexts
from .personnel import Comparison

PLAN_FILE = "documents-plan.json"
OFFICERS = {"group-north": "north.security", "group-south": "south.security"}
Step = Callable[[str, int], None]


@dataclass(frozen=True)
class DocumentsPlan:
    documents: int = 300
    diagrams: int = 30
    copies: int = 20_000
    recipients_per_document: int = 70
    excerpt_characters: int = 1_000
    pdf_documents: int = 12  # PDF copies handed out besides the planted ones (their pages enter the picture index)
    png_diagrams: int = 8


@dataclass
class Planted:
    documents: int = 0
    copies: int = 0
    leaks: dict[str, dict[str, object]] = field(default_factory=dict)  # leak -> file, document, copies, recipients

    def save(self, home: Path) -> None:
        (home / PLAN_FILE).write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, home: Path) -> Planted | None:
        path = home / PLAN_FILE
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _experts(c: Container) -> dict[str, list[str]]:
    with read_transaction(c.engine) as conn:
        rows = conn.execute(select(persons.c.person_id, persons.c.tenant).order_by(persons.c.person_id)).all()
    out: dict[str, list[str]] = {tenant: [] for tenant in OFFICERS}
    for person_id, tenant in rows:
        if tenant in out:
            out[tenant].append(person_id)
    return out


def _device(rng: random.Random, tenant: str) -> tuple[str, str]:
    site = "N" if tenant == "group-north" else "S"
    kind = rng.choice(["WS", "LT", "WS", "TAB"])
    return f"{kind}-{site}{rng.randint(100, 999)}", f"10.{20 if site == 'N' else 30}.{rng.randint(0, 63)}." \
                                                   f"{rng.randint(2, 254)}"


def build_documents(c: Container, rng: random.Random, plan: DocumentsPlan, step: Step) -> Planted:
    """Register the documents, issue the copies, plant the three leaks; returns (and saves) what was planted."""
    experts = _experts(c)
    planted = Planted()
    tenants = [t for t in OFFICERS if experts[t]]
    per_doc = max(1, plan.copies // plan.documents)
    extra = plan.copies - per_doc * plan.documents
    registered: list[tuple[str, str, str, list[IssuedCopy]]] = []  # (kind, tenant, document, copies)
    for n in range(plan.documents):
        tenant = tenants[n % len(tenants)]
        caller = Caller.of(OFFICERS[tenant], tenant)
        every = max(1, plan.documents // max(1, plan.diagrams))
        if plan.diagrams and n % every == every // 2:
            kind = "diagram"
            title, data = doctexts.diagram_png(rng, 1000 + n)
            filename = f"FD-{1000 + n}.png"
        else:
            kind = "zh" if n % 2 else "en"
            title, body = doctexts.spec_text(rng, kind, 100 + n)
            data, filename = body.encode("utf-8"), f"PS-{100 + n}.md"
        pool = experts[tenant]
        recipients = rng.sample(pool, k=min(len(pool), plan.recipients_per_document))
        count = per_doc + (1 if n < extra else 0)
        with c.unit_of_work() as (uow, vault):
            doc = registry.register_document(uow, caller, data, filename, title=title[:300],
                                             level=rng.choice(["confidential", "secret", "core"]),
                                             recipients=recipients)
            requests = [registry.CopyRequest(to, *_device(rng, tenant)) for to in recipients[:count]]
            issued = registry.issue_copies(uow, vault, caller, doc.document_id, requests)
        registered.append((kind, tenant, doc.document_id, issued))
        planted.documents += 1
        planted.copies += len(issued)
        step("documents: registering and issuing copies", 1)
    planted.leaks["pasted excerpt"] = _plant_excerpt(c, rng, plan, registered)
    step("documents: rendering picture copies", 0)
    planted.leaks["photographed page"] = _plant_photo(c, rng, plan, registered)
    planted.leaks["diagram leaked by two colluders"] = _plant_diagram(c, rng, registered)
    _download_more(c, rng, plan, registered)
    planted.save(c.settings.home)
    return planted


def _pick(registered: list[tuple[str, str, str, list[IssuedCopy]]], kind: str,
          start: int) -> tuple[str, str, str, list[IssuedCopy]]:
    """The first document of ``kind`` from ``start`` on (else the first of that kind)."""
    return next(r for r in [*registered[start:], *registered] if r[0] == kind)


def _copy_file(c: Container, tenant: str, copy_id: str, fmt: str) -> pictures.CopyFile:
    caller = Caller.of(OFFICERS[tenant], tenant)
    with c.unit_of_work() as (uow, vault):
        out = pictures.copy_file(uow, vault, caller, copy_id, fmt)
        access.record_copy_access(uow, caller, copy_id, "download")
    return out


def _download_more(c: Container, rng: random.Random, plan: DocumentsPlan,
                   registered: list[tuple[str, str, str, list[IssuedCopy]]]) -> None:
    """Some more picture copies (PDFs of specifications, PNGs of diagrams), so that the picture index holds the
    pages of several documents, as it would after ordinary use."""
    texts = [r for r in registered if r[0] != "diagram"]
    diagrams = [r for r in registered if r[0] == "diagram"]
    for kind, tenant, _, issued in rng.sample(texts, k=min(plan.pdf_documents, len(texts))) + rng.sample(
            diagrams, k=min(plan.png_diagrams, len(diagrams))):
        try:
            _copy_file(c, tenant, rng.choice(issued).copy_id, "png" if kind == "diagram" else "pdf")
        except Error as exc:  # no CJK font on this machine: Chinese PDF copies cannot be drawn (the error says why)
            if exc.code != "font_missing":
                raise


def _plant_photo(c: Container, rng: random.Random, plan: DocumentsPlan,
                 registered: list[tuple[str, str, str, list[IssuedCopy]]]) -> dict[str, object]:
    _, tenant, document_id, issued = _pick(registered, "en", len(registered) // 3)
    leaker = rng.choice(issued)
    pdf = _copy_file(c, tenant, leaker.copy_id, "pdf")
    page = pdf_pages(pdf.data, pictures.DPI)[0]
    photo = channels.phone_photo(page, np.random.default_rng(rng.randrange(2**32)))
    path = c.settings.home / "leak-photo.jpg"
    PILImage.fromarray(photo).save(path, format="JPEG", quality=85)
    return {"file": path.name, "tenant": tenant, "document": document_id, "copies": [leaker.copy_id],
            "recipients": [leaker.recipient], "channel": "page 1 of the PDF copy photographed with a phone "
                                                           "(perspective, uneven light, blur, noise, JPEG)"}


def _plant_diagram(c: Container, rng: random.Random,
                   registered: list[tuple[str, str, str, list[IssuedCopy]]]) -> dict[str, object]:
    _, tenant, document_id, issued = _pick(registered, "diagram", len(registered) // 2)
    pair = rng.sample(issued, k=2)
    images = [np.asarray(PILImage.open(io.BytesIO(_copy_file(c, tenant, x.copy_id, "png").data))) for x in pair]
    mixed = channels.mix_regions(images, np.random.default_rng(rng.randrange(2**32)))
    path = c.settings.home / "leak-diagram.png"
    PILImage.fromarray(mixed).save(path, format="PNG")
    return {"file": path.name, "tenant": tenant, "document": document_id, "copies": [x.copy_id for x in pair],
            "recipients": [x.recipient for x in pair], "channel": "two copies of the diagram mixed region by region"}


def _plant_excerpt(c: Container, rng: random.Random, plan: DocumentsPlan,
                   registered: list[tuple[str, str, str, list[IssuedCopy]]]) -> dict[str, object]:
    _, tenant, document_id, issued = _pick(registered, "zh", len(registered) // 2)
    leaker = rng.choice(issued)
    text = leaker.text or ""
    start = text.index("## ", 10)  # from the second section on: the body, not the title
    excerpt = channel(text[start:start + int(plan.excerpt_characters * 1.1)])[:plan.excerpt_characters].rstrip()
    path = c.settings.home / "leak-excerpt.txt"
    path.write_text(excerpt + "\n", encoding="utf-8")
    return {"file": path.name, "tenant": tenant, "document": document_id, "copies": [leaker.copy_id],
            "recipients": [leaker.recipient], "channel": "1,000 characters pasted into a chat (NFKC, zero-width "
                                                           "characters stripped, whitespace collapsed)"}


def analyse_documents(c: Container) -> list[Comparison]:
    """Trace every planted leak as the owner's security officer; compare the accused copies with the plan."""
    from reetrace.domains.documents import trace

    planted = Planted.load(c.settings.home)
    if planted is None:
        return []
    out = []
    for label, leak in planted.leaks.items():
        tenant = str(leak["tenant"])
        caller = Caller.of(OFFICERS[tenant], tenant)
        path = c.settings.home / str(leak["file"])
        with c.unit_of_work() as (uow, vault):
            if path.suffix == ".txt":
                result = trace.trace(uow, vault, caller, path.read_text(encoding="utf-8"))
            else:
                result = pictures.trace_picture(uow, vault, caller, path.read_bytes(), path.name)
        accused = sorted(s.copy_id for s in result.suspects if s.accused)
        who = ", ".join(f"{s.recipient} on {s.device} ({s.ip})" for s in result.suspects if s.accused) or "nobody"
        wanted = sorted(str(x) for x in leak["copies"])  # type: ignore[attr-defined]
        ok = result.document_id == leak["document"] and bool(accused) and set(accused) <= set(wanted)
        out.append(Comparison(f"documents: {label}", f"{', '.join(map(str, leak['recipients']))} "  # type: ignore[call-overload]
                              f"leaked {leak['document']} ({path.name})",
                              f"{result.document_id}: accused {who}", ok))
    return out
