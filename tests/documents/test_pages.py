"""Rendered pages: layout, determinism, fonts, line- and word-shift marks through leak channels, banner and PDF."""

from __future__ import annotations

import io

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pypdf import PdfReader
from spec_texts import EN_TEXT, ZH_TEXT

from reetrace.domains.documents import pages
from reetrace.domains.documents.extract import pdf_pages
from reetrace.domains.documents.pages import ERASED, banner, find_font, read_shifts, render, to_pdf
from reetrace.errors import Error

pytestmark = pytest.mark.usefixtures("system_fonts")  # pages are drawn with Noto Sans CJK and DejaVu Sans

TABLE = "stage\ttemperature °C\tflow\nextraction\t35\t1200 L/h\nstripping with hydrochloric acid\t40\t800 L/h\n"
DOC = f"# 工艺规程 PS-8\n\n{TABLE}\n{ZH_TEXT}\n## Part 2\n\n{EN_TEXT}"


@pytest.fixture(scope="module")
def master() -> pages.Rendered:
    return render(DOC)


@pytest.fixture(scope="module")
def codeword() -> npt.NDArray[np.int64]:
    return np.random.default_rng(7).integers(0, 2, 700)


@pytest.fixture(scope="module")
def copy(codeword: npt.NDArray[np.int64]) -> pages.Rendered:
    return render(DOC, shifts=codeword)


def jpeg(image: npt.NDArray[np.uint8], quality: int) -> npt.NDArray[np.uint8]:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE), dtype=np.uint8)


def errors(reading: pages.ShiftReading, codeword: npt.NDArray[np.int64]) -> int:
    read = reading.bits != ERASED
    return int((reading.bits[read] != codeword[reading.slots[read] % len(codeword)]).sum())


def test_a4_pages_with_layout_text_ranges_and_footer(master: pages.Rendered) -> None:
    assert len(master.pages) == 2 and master.dpi == 150 and master.delta == 2 and master.word_delta == 1
    for page in master.pages:
        assert page.image.shape == (1754, 1240) and page.image.dtype == np.uint8
        fx0, fy0, fx1, fy1 = page.footer
        assert (page.image[fy0:fy1, fx0:fx1] == 255).all()  # the footer is kept free for the banner
        ink_outside = page.image < 200
        for line in page.lines:
            assert line.box[3] <= fy0 and line.words
            for word in line.words:
                x0, y0, x1, y1 = word.box
                assert line.box[1] <= y0 < y1 <= line.box[3] + 2 and x1 > x0
                ink_outside[y0:y1, x0:x1] = False
        assert not ink_outside.any()  # every drawn pixel lies in a word box
    first, second = master.pages
    assert first.start == 2 and first.end <= second.start < second.end == len(DOC.rstrip())  # "# " is not shown
    assert master.page_of(DOC.index("工艺规程PS-8适用")) == 1 and master.page_of(DOC.index("Waste water")) == 2
    slots = [s for page in master.pages for s in page.slots]
    assert slots == list(range(master.slot_count)) and master.slot_count > 500


def test_rendering_is_deterministic_and_text_dependent(master: pages.Rendered) -> None:
    again = render(DOC)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(master.pages, again.pages, strict=True))
    other = render(DOC.replace("1200L", "1300L"))
    assert not np.array_equal(master.pages[0].image, other.pages[0].image)


def test_headings_tables_and_chinese_wrapping(master: pages.Rendered) -> None:
    lines = master.pages[0].lines
    heading, body = lines[0], lines[-1]
    assert DOC[heading.start:heading.end] == "工艺规程 PS-8"
    assert heading.box[3] - heading.box[1] > 1.3 * (body.box[3] - body.box[1])
    rows = lines[1:4]  # the three table rows, one line each
    starts = [[w.box[0] for w in row.words if DOC[w.start - 1] in "\t\n"] for row in rows]  # each cell's first word
    assert [len(s) for s in starts] == [3, 3, 3]
    for column in range(3):  # cells of one column start at the same x
        assert len({s[column] for s in starts}) == 1, starts
    chinese = [line for line in lines if "\u4e00" <= DOC[line.start] <= "\u9fff"]
    assert len(chinese) > 10
    assert not any(DOC[line.start] in "，。、；：）" for line in lines)  # closing punctuation never starts a line
    right = max(line.box[2] for line in chinese)
    full = [line for line in chinese if DOC[line.end:line.end + 1] != "\n"]
    filled = [line.box[2] > right - 30 for line in full]  # Chinese fills the line, breaking between any characters
    assert len(full) >= 8 and sum(filled) >= 0.8 * len(full)  # (a Latin word that does not fit may leave a gap)


def test_fonts_from_environment_and_missing_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    dejavu = pages.LATIN_FONT_PATHS[0][0]
    assert find_font("plain English", {"REETRACE_FONT": dejavu}).path == dejavu
    noto = find_font("中文", {})
    assert noto.path.endswith("NotoSansCJK-Regular.ttc") and noto.index == 2
    assert find_font("中文", {"REETRACE_CJK_FONT": "/nonexistent.ttf"}) == noto
    monkeypatch.setattr(pages, "CJK_FONT_PATHS", ())
    with pytest.raises(Error) as caught:
        render(ZH_TEXT)
    assert caught.value.code == "font_missing" and "fonts-noto-cjk" in caught.value.message
    assert find_font("English only", {}).path == dejavu  # Latin text needs no CJK font


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": ""}, "no text to render"),
    ({"text": " \n\t\n"}, "no text to render"),
    ({"text": "x", "paper": "A3+"}, "unknown paper"),
    ({"text": "x", "dpi": 20}, "outside 72..600"),
    ({"text": "x", "shifts": [0, 2, 1]}, "bits 0/1"),
    ({"text": "x", "shifts": []}, "bits 0/1"),
])
def test_bad_render_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(Error, match=message):
        render(**kwargs)  # type: ignore[arg-type]


def test_shifts_move_lines_and_words_and_read_back_exactly(master: pages.Rendered, copy: pages.Rendered,
                                                           codeword: npt.NDArray[np.int64]) -> None:
    assert [p.start for p in copy.pages] == [p.start for p in master.pages]  # same layout, same slots
    first = copy.pages[0].image
    assert not np.array_equal(first, master.pages[0].image)
    assert abs(int((first < 128).sum()) - int((master.pages[0].image < 128).sum())) < 200  # the same ink, moved
    for number in (1, 2):
        reading = read_shifts(master, number, copy.pages[number - 1].image)
        assert reading.read == len(reading.slots) == len(master.pages[number - 1].slots)
        assert errors(reading, codeword) == 0
    reading = read_shifts(master, 1, master.pages[0].image)  # the master itself: nothing moved, nothing read
    assert reading.read < 0.05 * len(reading.slots)
    bits, soft = read_shifts(master, 1, first).positions(len(codeword))
    seen = bits != ERASED
    assert seen.sum() > 300 and (bits[seen] == codeword[seen]).all()
    assert (np.sign(soft[seen]) == 2 * bits[seen] - 1).all()


def test_shifts_survive_jpeg_rescaling_print_scan_and_a_quarter(master: pages.Rendered, copy: pages.Rendered,
                                                               codeword: npt.NDArray[np.int64]) -> None:
    page = copy.pages[0].image
    h, w = page.shape
    half = jpeg(cv2.resize(page, (w // 2, h // 2), interpolation=cv2.INTER_AREA), 50)
    rescaled = cv2.resize(half, (w, h), interpolation=cv2.INTER_CUBIC)  # registered back onto the master frame
    rng = np.random.default_rng(3)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    warp = cv2.getPerspectiveTransform(corners, corners + rng.normal(0, 6, (4, 2)).astype(np.float32))
    warp = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), 1.2, 1.0), [0, 0, 1]]) @ warp
    scanned = cv2.GaussianBlur(cv2.warpPerspective(page, warp, (w, h), borderValue=255), (0, 0), 1.0)
    scanned = jpeg(np.clip(scanned * 0.85 + 20 + rng.normal(0, 4, scanned.shape), 0, 255).astype(np.uint8), 70)
    slightly_off = np.array([[1.0003, 0, 0.4], [0, 1, -0.3], [0, 0, 1]])  # an imperfect registration
    back = slightly_off @ np.linalg.inv(warp)
    registered = cv2.warpPerspective(scanned, back, (w, h), borderValue=255)
    valid = cv2.warpPerspective(np.ones_like(page), back, (w, h), flags=cv2.INTER_NEAREST) > 0
    quarter = valid.copy()
    quarter[h // 2:, :] = False
    quarter[:, w // 2:] = False
    total = len(master.pages[0].slots)
    for image, mask, share in ((jpeg(page, 50), None, 0.99), (rescaled, None, 0.99), (registered, valid, 0.97),
                               (registered, quarter, 0.15)):
        reading = read_shifts(master, 1, image, mask)
        assert reading.read >= share * total and errors(reading, codeword) <= 0.01 * reading.read, reading.note


def test_read_shifts_bad_input(master: pages.Rendered) -> None:
    with pytest.raises(Error, match="page 3 is not in the rendering"):
        read_shifts(master, 3, master.pages[0].image)
    with pytest.raises(Error, match="register it onto the master first"):
        read_shifts(master, 1, master.pages[0].image[:800])
    nothing = read_shifts(master, 1, master.pages[0].image, np.zeros((1754, 1240), dtype=bool))
    assert nothing.read == 0 and (nothing.bits == ERASED).all()


def test_banner_in_the_footer_only(master: pages.Rendered) -> None:
    page = master.pages[0]
    marked = banner(page.image, page.footer, "Copy RT-CPY-2026-000123 issued to 张伟 (D-17, 10.2.3.4) on 2026-05-01")
    changed = np.argwhere(marked != page.image)
    x0, y0, x1, y1 = page.footer
    assert len(changed) > 500
    assert changed[:, 0].min() >= y0 and changed[:, 0].max() < y1
    assert changed[:, 1].min() >= x0 and changed[:, 1].max() < x1
    with pytest.raises(Error, match="banner text is empty"):
        banner(page.image, page.footer, " ")
    with pytest.raises(Error, match="outside the 1240x1754 page"):
        banner(page.image, (0, 1700, 1240, 1800), "Copy")


def test_pdf_of_page_images_is_lossless_and_deterministic(copy: pages.Rendered) -> None:
    images = [p.image for p in copy.pages]
    pdf = to_pdf(images, title="工艺规程 — copy RT-CPY-1")
    assert pdf == to_pdf(images, title="工艺规程 — copy RT-CPY-1")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert reader.metadata is not None and reader.metadata.title == "工艺规程 — copy RT-CPY-1"
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.2)  # 1240 px at 150 dpi
    back = pdf_pages(pdf, dpi=150)
    assert [b.shape for b in back] == [i.shape for i in images]
    stored = np.asarray(reader.pages[1].images[0].image)
    assert np.array_equal(stored, images[1])  # the page image is stored losslessly
    ink = images[0] < 128
    assert (back[0][ink] < 200).mean() > 0.9 and (back[0][~ink] > 128).mean() > 0.98  # rasterised back in place
    with pytest.raises(Error, match="no pages"):
        to_pdf([], title="x")
    with pytest.raises(Error, match="not a grayscale or RGB uint8"):
        to_pdf([np.zeros((10, 10), dtype=np.float32)], title="x")  # type: ignore[list-item]
