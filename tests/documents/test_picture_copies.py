"""Picture copies end to end: a PDF copy of a text version and a PNG copy of a diagram, leaked as a phone photo, a
print-scan, a half-page screenshot, a quarter-page crop and by two colluders, traced back to the right copies; and
the bad inputs (corrupt pictures, tiny pictures, unrelated pictures, a wrong format)."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image
from spec_texts import EN_TEXT

from reetrace.container import Container
from reetrace.demo.doctexts import diagram_png, spec_text
from reetrace.domains.documents import channels, pictures, registry
from reetrace.domains.documents.extract import pdf_pages
from reetrace.domains.documents.models import TraceResult
from reetrace.domains.personnel.models import Caller
from reetrace.errors import Error
from support.travel_world import World, build_world

pytestmark = pytest.mark.usefixtures("system_fonts")  # pages are drawn with Noto Sans CJK and DejaVu Sans

NORTH = Caller.of("officer.n", "group-north")
SOUTH = Caller.of("officer.s", "group-south")


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _people(world: World, n: int) -> list[str]:
    return [world.person() for _ in range(n)]


def _register(world: World, data: bytes, name: str, recipients: list[str]) -> str:
    with world.container.unit_of_work() as (uow, _):
        return registry.register_document(uow, NORTH, data, name, title="test", level="secret",
                                          recipients=recipients).document_id


def _issue(world: World, document_id: str, people: list[str]) -> list[str]:
    with world.container.unit_of_work() as (uow, vault):
        issued = registry.issue_copies(uow, vault, NORTH, document_id, [
            registry.CopyRequest(p, f"pc-{n}", f"10.0.0.{n + 1}") for n, p in enumerate(people)])
    return [c.copy_id for c in issued]


def _file(world: World, copy_id: str, fmt: str) -> pictures.CopyFile:
    with world.container.unit_of_work() as (uow, vault):
        return pictures.copy_file(uow, vault, NORTH, copy_id, fmt)


def _png(image: np.ndarray, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format=fmt, quality=80)
    return out.getvalue()


def _trace(world: World, data: bytes, name: str, caller: Caller = NORTH) -> TraceResult:
    with world.container.unit_of_work() as (uow, vault):
        return pictures.trace_picture(uow, vault, caller, data, name)


def _accused(result: TraceResult) -> set[str]:
    return {s.copy_id for s in result.suspects if s.accused}


@pytest.mark.slow
def test_a_pdf_copy_photographed_scanned_and_cropped_names_its_recipient(world: World) -> None:
    people = _people(world, 6)
    # a Chinese process specification with a parameter table, then an English one: two or three pages
    text = spec_text(random.Random(5), "zh", 1)[1] + "\n" + spec_text(random.Random(6), "en", 2)[1] + EN_TEXT
    doc = _register(world, text.encode(), "spec.md", people)
    ids = _issue(world, doc, people)
    pdf = _file(world, ids[2], "pdf")
    assert pdf.media_type == "application/pdf" and pdf.data.startswith(b"%PDF-")
    page = pdf_pages(pdf.data, 150)[0]
    rng = np.random.default_rng(7)
    leaks = {
        "phone photo": _png(channels.phone_photo(page, rng), "JPEG"),
        "print-scan": _png(channels.print_scan(page, rng), "JPEG"),
        "jpeg 50 at 50 %": _png(channels.jpeg(channels.rescale(page, 0.5), 50), "JPEG"),
        "half-page screenshot": _png(channels.screenshot(page, rng)),
        "quarter page": _png(channels.crop(page, box=(0, 0, page.shape[1] // 2, page.shape[0] // 2))),
    }
    for name, data in leaks.items():
        result = _trace(world, data, "leak.jpg")
        assert (result.verdict, result.document_id, result.version) == ("accused", doc, 1), (name, result.note)
        assert result.pages == [1], name
        assert _accused(result) == {ids[2]}, (name, result.note)
        suspect = next(s for s in result.suspects if s.accused)
        assert (suspect.recipient, suspect.device, suspect.ip) == (people[2], "pc-2", "10.0.0.3")
        assert suspect.false_accusation_bound <= 1e-6
    whole = _trace(world, pdf.data, "copy.pdf")  # the whole PDF: every page adds evidence
    assert _accused(whole) == {ids[2]} and whole.sites_read > 1000
    assert whole.pages == list(range(1, len(pdf_pages(pdf.data, 150)) + 1))


@pytest.mark.slow
def test_a_diagram_mixed_by_two_colluders_names_one_of_them_and_no_innocent(world: World) -> None:
    people = _people(world, 8)
    _, data = diagram_png(random.Random(3), 7)
    doc = _register(world, data, "flow.png", people)
    ids = _issue(world, doc, people)
    copies = [np.asarray(Image.open(io.BytesIO(_file(world, ids[k], "png").data))) for k in (1, 4)]
    mixed = channels.mix_regions(copies, np.random.default_rng(3))
    result = _trace(world, _png(mixed), "diagram.png")
    assert result.document_id == doc and result.verdict == "accused", result.note
    assert _accused(result) and _accused(result) <= {ids[1], ids[4]}
    averaged = _trace(world, _png(channels.jpeg(channels.average(copies), 75), "JPEG"), "d.jpg")
    assert _accused(averaged) <= {ids[1], ids[4]}


def test_bad_pictures_get_clear_answers(world: World) -> None:
    people = _people(world, 2)
    _, data = diagram_png(random.Random(4), 8)
    doc = _register(world, data, "flow.png", people)
    ids = _issue(world, doc, people)
    with pytest.raises(Error) as caught:
        _trace(world, b"\x89PNG\r\n\x1a\nbroken", "leak.png")
    assert caught.value.code == "bad_picture" and "leak.png" in caught.value.message
    with pytest.raises(Error) as caught:
        _trace(world, _png(np.full((40, 40), 200, np.uint8)), "tiny.png")
    assert caught.value.code == "picture_too_small"
    with pytest.raises(Error) as caught:
        _file(world, ids[0], "text")  # a diagram has no text copy
    assert caught.value.code == "bad_format"
    with pytest.raises(Error) as caught:
        _file(world, ids[0], "docx")
    assert caught.value.code == "bad_request" or "format" in caught.value.message
    _file(world, ids[0], "png")  # indexes the diagram
    noise = np.random.default_rng(1).integers(0, 255, (600, 800), dtype=np.uint8)
    assert _trace(world, _png(noise), "other.png").verdict == "not_ours"
    # another tenant cannot see the copy, and its traces do not search our pictures
    with world.container.unit_of_work() as (uow, vault), pytest.raises(Error) as caught:
        pictures.copy_file(uow, vault, SOUTH, ids[0], "png")
    assert caught.value.code == "not_found"
    copy = np.asarray(Image.open(io.BytesIO(_file(world, ids[1], "png").data)))
    assert _trace(world, _png(copy), "leak.png", SOUTH).verdict == "not_ours"
    assert _accused(_trace(world, _png(copy), "leak.png")) == {ids[1]}
