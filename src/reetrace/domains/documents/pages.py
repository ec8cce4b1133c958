"""A document's text as page images: deterministic rendering, line- and word-shift marks, the banner, a PDF.

Rendering (:func:`render`) lays the text out on pages (A4 or Letter, default 150 dpi: A4 is 1240x1754 px) and draws
it with Pillow in one font that covers it (:func:`find_font`: ``REETRACE_FONT`` / ``REETRACE_CJK_FONT``, then the
Debian paths of Noto Sans CJK (``fonts-noto-cjk``), WenQuanYi and DejaVu Sans). Text with Chinese, Japanese or Korean
characters needs a CJK font; without one the error names the package to install (boxes are never drawn silently).
Layout: each input line is a paragraph (an empty line a half-line gap); Markdown ``#`` lines are headings in a larger
size; runs of lines holding tabs (tables from DOCX and XLSX) become aligned columns, each cell wrapped in its
column; Latin text wraps at spaces, CJK text at any character (closing punctuation never starts a line). Same text,
same options, same Pillow and font → same pixels. Every page keeps its layout — line boxes, word boxes, the text
range ``[start, end)`` it shows (so a trace can say which page leaked) — and a reserved footer box for the visible
banner (:func:`banner`), which no mark may use.

Shift coding, an informed mark layer independent of the pixel-level marks of ``imagemarks``: a *slot* is a line
(moved up or down by ``delta`` px) or a word (moved left or right by ``word_delta`` px). A word is a space-separated
Latin word, or a run of CJK characters between punctuation, script changes and at most every 12 characters; word
boundaries get ``word_delta`` px of extra space so that no two words touch after shifting. Slots are numbered
through the document page by page, each line's slot followed by its words' slots; slot ``k`` carries bit ``shifts[k
% len(shifts)]`` (1: down / right, 0: up / left). :func:`render` without ``shifts`` draws the master (nothing
moved), against which :func:`read_shifts` measures a leaked page registered onto the master's frame: the line's
vertical ink profile and each word's horizontal ink profile are cross-correlated with the master's (sub-pixel peak),
the smooth residual of the registration (a linear trend over the page, to which the random ± shifts add nothing on
average; refined around the two clusters only when the page is shifted) is removed, and a slot is read as 1 or 0
when its displacement is beyond a third of its step and erased when weak or outside the valid area. Lines move by
``delta`` = 2 px and words by ``word_delta`` = 1 px at 150 dpi (0.34 and 0.17 mm). Yield, measured on the samples of
``tests/documents/spec_texts.py`` at 150 dpi, 10.5 pt: a full A4 page of English (DejaVu Sans) has 42 lines and 643
slots, of Chinese (Noto Sans CJK) 34 lines and 348 slots (words break at punctuation and script changes); a quarter
of a page keeps about a quarter. Through JPEG 50, a 50 % rescale and a simulated print-scan (registered back with a
slightly wrong homography) every slot of those pages was read without error (tests/documents/test_pages.py).

:func:`to_pdf` writes page images into a PDF losslessly (Flate, the page size from the dpi), deterministically.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from reetrace.errors import Detail, Error, invalid
from reetrace.pdfwrite import assemble

ERASED = -1
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
Gray = npt.NDArray[np.uint8]
Font = ImageFont.FreeTypeFont
PAPERS_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "Letter": (215.9, 279.4)}
CJK_FONT_PATHS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # face 2: Simplified Chinese glyph shapes
    ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
)
LATIN_FONT_PATHS = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),)
BODY_PT = 10.5
_CJK_CHARS = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
)
_CJK = re.compile(f"[{_CJK_CHARS}]")
_TOKEN = re.compile(f"[{_CJK_CHARS}]|[^\\s{_CJK_CHARS}]+|[ \\t\u00a0]+")
_NO_LINE_START = set("，。、；：！？）」』】》〉”’,.;:!?)]}%")
_CJK_BREAK_AFTER = set("，。、；：！？）」』】》〉”")
_HEADING = re.compile(r"^(#{1,6})[ \t]+")
_CJK_RUN = 12


def _bad(message: str, where: str, code: str = "bad_render") -> Error:
    return invalid(message, Detail(message, where), code=code)


# Fonts -------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FontChoice:
    path: str  # "" for Pillow's built-in font
    index: int


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def find_font(text: str, environ: Mapping[str, str] | None = None) -> FontChoice:
    """A font that covers ``text``: the environment's choice, then the known Debian paths; CJK text needs a CJK font."""
    env = os.environ if environ is None else environ
    cjk = has_cjk(text)
    candidates: list[tuple[str, int]] = []
    if env.get("REETRACE_CJK_FONT"):
        candidates.append((env["REETRACE_CJK_FONT"], 0))
    if not cjk and env.get("REETRACE_FONT"):
        candidates.insert(0, (env["REETRACE_FONT"], 0))
    candidates += list(CJK_FONT_PATHS)
    if not cjk:
        candidates = [c for c in candidates if c[0] == env.get("REETRACE_FONT")] + list(LATIN_FONT_PATHS) + candidates
    for path, index in candidates:
        if path and Path(path).is_file():
            return FontChoice(path, index if path.endswith(".ttc") else 0)
    if cjk:
        raise _bad("the text has Chinese, Japanese or Korean characters and no CJK font was found: install the Debian "
                   "package fonts-noto-cjk (or fonts-wqy-microhei), or set REETRACE_CJK_FONT to a .ttc/.otf/.ttf file",
                   "font", code="font_missing")
    return FontChoice("", 0)


@lru_cache(maxsize=64)
def _font(choice: FontChoice, size: int) -> Font:
    if not choice.path:
        font = ImageFont.load_default(size)
        if not isinstance(font, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow without FreeType
            raise _bad("Pillow has no FreeType support: install a font package (fonts-dejavu-core)", "font",
                       code="font_missing")
        return font
    return ImageFont.truetype(choice.path, size, index=choice.index)


# Layout -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    box: Box  # ink box in the master (unshifted) page
    start: int  # text span [start, end)
    end: int
    slot: int  # global slot number (document order)


@dataclass(frozen=True)
class Line:
    box: Box  # the line's band: full line height, from the first word's left to the last word's right
    words: tuple[Word, ...]
    start: int
    end: int
    slot: int


@dataclass(frozen=True, eq=False)
class Page:
    number: int  # 1-based
    image: Gray  # grayscale, white paper (255), black ink
    lines: tuple[Line, ...]
    footer: Box  # reserved for the visible banner; carries no mark
    start: int  # text range shown on the page
    end: int

    @property
    def slots(self) -> list[int]:
        """The page's slot numbers in order (each line's slot, then its words')."""
        return [s for line in self.lines for s in (line.slot, *(w.slot for w in line.words))]


@dataclass(frozen=True, eq=False)
class Rendered:
    pages: tuple[Page, ...]
    dpi: int
    paper: str
    font: FontChoice
    delta: int  # shift in px of a line slot (up/down)
    word_delta: int  # shift in px of a word slot (left/right)
    slot_count: int

    def page_of(self, offset: int) -> int:
        """The 1-based number of the page showing text offset ``offset`` (0 if none does)."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return 0


@dataclass(frozen=True)
class _Run:  # one word drawn on a page
    text: str
    x: int
    baseline: int
    size: int
    line_slot: int
    word_slot: int


@dataclass
class _Unit:  # a word being laid out: tokens glued together
    text: str
    start: int
    end: int
    width: float
    space_before: bool  # a space (not only the shift gap) separates it from the previous unit


@dataclass(frozen=True)
class _Geometry:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int  # body ends here
    footer: Box


def _geometry(paper: str, dpi: int) -> _Geometry:
    if paper not in PAPERS_MM:
        raise _bad(f"unknown paper {paper!r}; known: {', '.join(PAPERS_MM)}", "paper")
    if not 72 <= dpi <= 600:
        raise _bad(f"dpi {dpi} is outside 72..600", "dpi")
    w_mm, h_mm = PAPERS_MM[paper]

    def px(mm: float) -> int:
        return round(mm / 25.4 * dpi)

    width, height = px(w_mm), px(h_mm)
    footer = (px(20), height - px(17), width - px(20), height - px(9))
    return _Geometry(width, height, px(20), width - px(20), px(20), height - px(22), footer)


def _tokens(text: str, base: int, font: Font) -> list[_Unit]:
    """Unbreakable pieces of one paragraph or cell: Latin words, single CJK characters; closing punctuation glued."""
    tokens: list[_Unit] = []
    space = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.isspace():
            space = True
            continue
        start, end = base + match.start(), base + match.end()
        if tokens and not space and token[0] in _NO_LINE_START:
            prev = tokens[-1]  # closing punctuation never starts a line: it stays with what it closes
            prev.text += token
            prev.end = end
            prev.width = font.getlength(prev.text)
        else:
            tokens.append(_Unit(token, start, end, font.getlength(token), space))
        space = False
    return tokens


def _split_long(unit: _Unit, font: Font, width: float) -> list[_Unit]:
    """A word wider than the column, cut by characters."""
    out: list[_Unit] = []
    text, start = unit.text, unit.start
    while text:
        n = len(text)
        while n > 1 and font.getlength(text[:n]) > width:
            n -= 1
        out.append(_Unit(text[:n], start, start + n, font.getlength(text[:n]), unit.space_before and not out))
        text, start = text[n:], start + n
    return out


def _joins(prev: _Unit, token: _Unit) -> bool:
    """Whether ``token`` continues the CJK word ``prev`` (no space, both CJK, no break punctuation, run not full)."""
    if token.space_before or _CJK.match(token.text[0]) is None or _CJK.match(prev.text[-1]) is None:
        return False
    return prev.text[-1] not in _CJK_BREAK_AFTER and len(prev.text) < _CJK_RUN


def _wrap(text: str, base: int, font: Font, width: float, delta: int) -> list[list[tuple[_Unit, float]]]:
    """Lines of (word, x offset) fitting ``width``: CJK may break between any two characters, Latin at spaces.

    Words are separated by a space (if the text has one) plus ``delta`` px, so that shifted words never touch.
    """
    space = font.getlength(" ")
    limit = width - delta
    lines: list[list[tuple[_Unit, float]]] = []
    current: list[tuple[_Unit, float]] = []
    x = 0.0
    for big in _tokens(text, base, font):
        for token in (_split_long(big, font, limit - delta) if big.width > limit - delta else [big]):
            if current and _joins(current[-1][0], token):
                prev, px = current[-1]
                joined = _Unit(prev.text + token.text, prev.start, token.end, font.getlength(prev.text + token.text),
                               prev.space_before)
                if px + joined.width <= limit:
                    current[-1] = (joined, px)
                    x = px + joined.width
                    continue
                lines.append(current)
                current, x = [], 0.0
            gap = ((space if token.space_before else 0.0) + delta) if current else 0.0
            if current and x + gap + token.width > limit:
                lines.append(current)
                current, x, gap = [], 0.0, 0.0
            current.append((token, x + gap))
            x += gap + token.width
    if current:
        lines.append(current)
    return lines


class _Layout:
    def __init__(self, text: str, font: FontChoice, dpi: int, paper: str, delta: int) -> None:
        # delta: the word shift, which sets the extra space between words
        self.text, self.choice, self.delta = text, font, delta
        self.geo = _geometry(paper, dpi)
        self.body = max(8, round(BODY_PT / 72 * dpi))
        self.pages: list[list[tuple[Line, list[_Run]]]] = [[]]
        self.y = self.geo.top
        self.slot = 0

    def _font(self, size: int) -> Font:
        return _font(self.choice, size)

    def _advance(self, height: int) -> None:
        if self.y + height > self.geo.bottom and self.pages[-1]:
            self.pages.append([])
            self.y = self.geo.top

    def _emit(self, placed: list[tuple[_Unit, float, int]], size: int) -> None:
        """One visual line: (unit, absolute x, size) triples sharing a baseline."""
        font = self._font(size)
        ascent, descent = font.getmetrics()
        height = round((ascent + descent) * 1.25)
        self._advance(height)
        baseline = self.y + round((height - ascent - descent) / 2) + ascent
        line_slot = self.slot
        self.slot += 1
        words, runs = [], []
        for unit, x, _ in placed:
            xi = round(x)
            x0, y0, x1, y1 = font.getbbox(unit.text, anchor="ls")
            words.append(Word((xi + int(x0), baseline + int(y0), xi + int(np.ceil(x1)), baseline + int(np.ceil(y1))),
                              unit.start, unit.end, self.slot))
            runs.append(_Run(unit.text, xi, baseline, size, line_slot, self.slot))
            self.slot += 1
        box = (min(w.box[0] for w in words), self.y, max(w.box[2] for w in words), self.y + height)
        line = Line(box, tuple(words), min(w.start for w in words), max(w.end for w in words), line_slot)
        self.pages[-1].append((line, runs))
        self.y += height

    def paragraph(self, line: str, base: int, size: int) -> None:
        font = self._font(size)
        width = self.geo.right - self.geo.left
        for wrapped in _wrap(line, base, font, width, self.delta):
            self._emit([(u, self.geo.left + x, size) for u, x in wrapped], size)

    def table(self, rows: list[tuple[str, int]]) -> None:
        font = self._font(self.body)
        cells = [[(cell, base + offset) for cell, offset in _cells(row)] for row, base in rows]
        columns = max(len(r) for r in cells)
        gutter = font.getlength("  ")
        pad = gutter + 2 * self.delta
        natural = [0.0] * columns
        for row in cells:
            for k, (cell, _) in enumerate(row):
                natural[k] = max(natural[k], font.getlength(cell) + pad)
        width = self.geo.right - self.geo.left
        if sum(natural) > width:  # shrink the wide columns to share what is left after the narrow ones
            fair = width / columns
            narrow = sum(n for n in natural if n <= fair)
            wide = sum(n for n in natural if n > fair)
            natural = [n if n <= fair else n * (width - narrow) / wide for n in natural]
        lefts = [self.geo.left + sum(natural[:k]) for k in range(columns)]
        for row in cells:
            wrapped = [_wrap(cell, base, font, max(natural[k] - gutter, 2.0 * self.body), self.delta)
                       for k, (cell, base) in enumerate(row)]
            for depth in range(max((len(w) for w in wrapped), default=0)):
                placed = [(u, lefts[k] + x, self.body) for k, w in enumerate(wrapped) if depth < len(w)
                          for u, x in w[depth]]
                if placed:
                    self._emit(placed, self.body)

    def gap(self, fraction: float) -> None:
        if self.pages[-1] or self.y > self.geo.top:
            self.y += round(self.body * fraction)


def _cells(row: str) -> list[tuple[str, int]]:
    out, offset = [], 0
    for cell in row.split("\t"):
        out.append((cell, offset))
        offset += len(cell) + 1
    return out


def _layout(text: str, font: FontChoice, dpi: int, paper: str, delta: int) -> _Layout:
    layout = _Layout(text, font, dpi, paper, delta)
    lines, offset, k = [], 0, 0
    for raw in text.split("\n"):
        lines.append((raw, offset))
        offset += len(raw) + 1
    while k < len(lines):
        raw, base = lines[k]
        if "\t" in raw and raw.strip():
            block = []
            while k < len(lines) and "\t" in lines[k][0] and lines[k][0].strip():
                block.append(lines[k])
                k += 1
            layout.table(block)
            layout.gap(0.4)
            continue
        k += 1
        if not raw.strip():
            layout.gap(0.6)
            continue
        heading = _HEADING.match(raw)
        if heading:
            level = len(heading.group(1))
            size = round(layout.body * (1.7, 1.45, 1.25, 1.1, 1.05, 1.0)[level - 1])
            layout.gap(0.5)
            layout.paragraph(raw[heading.end():], base + heading.end(), size)
            layout.gap(0.3)
        else:
            layout.paragraph(raw, base, layout.body)
    return layout


def render(text: str, *, dpi: int = 150, paper: str = "A4", font: FontChoice | None = None,
           shifts: Sequence[int] | npt.NDArray[np.integer] | None = None) -> Rendered:
    """Page images of ``text``; with ``shifts`` (codeword bits 0/1) each line and word slot moves by ±delta."""
    if not text.strip():
        raise _bad("there is no text to render", "text")
    choice = font if font is not None else find_font(text)
    delta, word_delta = max(1, round(dpi / 75)), max(1, round(dpi / 150))
    bits: npt.NDArray[np.int8] | None = None
    if shifts is not None:
        bits = np.asarray(shifts, dtype=np.int64).astype(np.int8)
        if bits.ndim != 1 or not len(bits) or not np.isin(bits, (0, 1)).all():
            raise _bad("shifts must be a non-empty sequence of bits 0/1", "shifts")
    layout = _layout(text, choice, dpi, paper, word_delta)
    geo = layout.geo
    pages = []
    for number, content in enumerate(layout.pages, start=1):
        if not content:
            continue
        image = Image.new("L", (geo.width, geo.height), 255)
        draw = ImageDraw.Draw(image)
        for _, runs in content:
            for run in runs:
                dx = dy = 0
                if bits is not None:
                    dy = delta if bits[run.line_slot % len(bits)] else -delta
                    dx = word_delta if bits[run.word_slot % len(bits)] else -word_delta
                draw.text((run.x + dx, run.baseline + dy), run.text, font=layout._font(run.size), fill=0, anchor="ls")
        lines = tuple(line for line, _ in content)
        pages.append(Page(number, np.asarray(image, dtype=np.uint8).copy(), lines, geo.footer,
                          min(line.start for line in lines), max(line.end for line in lines)))
    return Rendered(tuple(pages), dpi, paper, choice, delta, word_delta, layout.slot)


# Reading the shifts -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ShiftReading:
    slots: npt.NDArray[np.int64]  # global slot numbers measured on this page
    displacement: npt.NDArray[np.float64]  # px, + = down / right, after removing the registration trend; NaN: unread
    bits: npt.NDArray[np.int8]  # per slot: 1, 0 or ERASED
    read: int  # slots with a bit
    note: str

    def positions(self, m: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
        """Per codeword position (slot k → position k % m): the bit (or ERASED) and the summed soft value."""
        soft = np.zeros(m, dtype=np.float64)
        seen = np.zeros(m, dtype=bool)
        ok = ~np.isnan(self.displacement)
        np.add.at(soft, self.slots[ok] % m, np.clip(self.displacement[ok], -3.0, 3.0))
        seen[self.slots[self.bits != ERASED] % m] = True
        bits = np.full(m, ERASED, dtype=np.int8)
        bits[seen & (soft > 0)] = 1
        bits[seen & (soft < 0)] = 0
        return bits, soft


def _profile_shift(template: npt.NDArray[np.float64], leaked: npt.NDArray[np.float64], reach: int) -> float:
    """Sub-pixel displacement of ``leaked`` against ``template`` (1-D ink profiles, same length), NaN if unsure.

    The template is the master's profile of the one line or word (zero where neighbours are), so a neighbour's ink
    in the leaked window barely counts, and a constant background level only adds a constant to every score.
    """
    if template.max() <= 0 or leaked.std() < 1e-6:
        return float("nan")
    n = len(template)
    scores = np.array([np.dot(template[max(0, -s):n - max(0, s)], leaked[max(0, s):n - max(0, -s)])
                       for s in range(-reach, reach + 1)])
    k = int(np.argmax(scores))
    if k in (0, len(scores) - 1):
        return float("nan")  # peak at the edge: not this word, or registered too far off
    a, b, c = scores[k - 1], scores[k], scores[k + 1]
    denom = a - 2 * b + c
    sub = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return float(k - reach + sub)


def read_shifts(master: Rendered, page: int, registered: npt.NDArray[np.uint8],
                valid: npt.NDArray[np.bool_] | None = None) -> ShiftReading:
    """The line and word shifts of a leaked page, registered onto the master page ``page`` (1-based) frame."""
    if not 1 <= page <= len(master.pages):
        raise _bad(f"page {page} is not in the rendering (1..{len(master.pages)})", "page")
    ref = master.pages[page - 1]
    image = np.asarray(registered)
    if image.ndim == 3:
        image = image.mean(axis=2)
    if image.shape != ref.image.shape:
        raise _bad(f"registered image is {image.shape[1]}x{image.shape[0]} px; the master page is "
                   f"{ref.image.shape[1]}x{ref.image.shape[0]}: register it onto the master first", "registered")
    mask = np.ones(image.shape, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    ink_m = 255.0 - ref.image.astype(np.float64)
    ink_q = 255.0 - image.astype(np.float64)
    delta = master.delta
    reach = 2 * delta + 2
    pad = reach + 1
    h, w = image.shape
    slots: list[int] = []
    values: list[float] = []
    kinds: list[int] = []  # 0 line (vertical), 1 word (horizontal)
    centres: list[tuple[float, float]] = []
    for line in ref.lines:
        x0, y0, x1, y1 = line.box
        ya, yb, xa, xb = max(0, y0 - pad), min(h, y1 + pad), max(0, x0 - pad), min(w, x1 + pad)
        d = float("nan")
        if mask[ya:yb, xa:xb].all():
            template = ink_m[ya:yb, xa:xb].sum(axis=1)
            template[: y0 - ya] = 0
            template[y1 - ya:] = 0
            d = _profile_shift(template, ink_q[ya:yb, xa:xb].sum(axis=1), reach)
        slots.append(line.slot)
        values.append(d)
        kinds.append(0)
        centres.append(((x0 + x1) / 2, (y0 + y1) / 2))
        for word in line.words:
            wx0, _, wx1, _ = word.box
            xa, xb = max(0, wx0 - pad), min(w, wx1 + pad)
            d = float("nan")
            if mask[ya:yb, xa:xb].all():
                template = ink_m[y0:y1, xa:xb].sum(axis=0)
                template[: max(0, wx0 - 1 - xa)] = 0
                template[wx1 + 1 - xa:] = 0
                d = _profile_shift(template, ink_q[ya:yb, xa:xb].sum(axis=0), reach)
            slots.append(word.slot)
            values.append(d)
            kinds.append(1)
            centres.append(((wx0 + wx1) / 2, (y0 + y1) / 2))
    disp = np.array(values, dtype=np.float64)
    kind = np.array(kinds)
    xy = np.array(centres, dtype=np.float64).reshape(-1, 2)
    steps = np.where(kind == 0, float(delta), float(master.word_delta))
    for k in (0, 1):  # remove the smooth residual of the registration: a linear trend over the page
        sel = (kind == k) & ~np.isnan(disp)
        if sel.sum() < 6:
            continue
        step = float(steps[kind == k][0])
        columns = [np.ones(len(disp)), xy[:, 1] / h] if k == 0 else [np.ones(len(disp)), xy[:, 0] / w, xy[:, 1] / h]
        design = np.column_stack(columns)  # lines span the width: their trend depends on y only
        plain = np.linalg.lstsq(design[sel], disp[sel], rcond=None)[0]  # the random ±step shifts average out
        coef = plain
        for _ in range(3):  # refine: fit the trend to what is left after taking off the nearest ±step
            residual = disp[sel] - design[sel] @ coef
            coef = np.linalg.lstsq(design[sel], disp[sel] - np.where(residual >= 0, step, -step), rcond=None)[0]
        # keep the refinement only where the data are shifts (two clusters at ±step), never on an unshifted page
        spread_plain = np.abs(disp[sel] - design[sel] @ plain).mean()
        spread_shift = np.abs(np.abs(disp[sel] - design[sel] @ coef) - step).mean()
        if not spread_shift < 0.5 * spread_plain:
            coef = plain
        disp[kind == k] -= (design @ coef)[kind == k]
    soft = disp / steps
    bits = np.full(len(disp), ERASED, dtype=np.int8)
    ok = ~np.isnan(soft)
    bits[ok & (soft > 1 / 3)] = 1
    bits[ok & (soft < -1 / 3)] = 0
    read = int((bits != ERASED).sum())
    note = f"{read} of {len(bits)} line and word slots read on page {page}"
    return ShiftReading(np.array(slots, dtype=np.int64), soft, bits, read, note)


# Banner and PDF ---------------------------------------------------------------------------------------------------

def banner(image: npt.NDArray[np.uint8], footer: Box, text: str, *, font: FontChoice | None = None) -> Gray:
    """The page with ``text`` (e.g. "Copy RT-CPY-… issued to … on …") drawn centred in the footer box."""
    if not text.strip():
        raise _bad("the banner text is empty", "banner")
    page = Image.fromarray(np.asarray(image, dtype=np.uint8))
    x0, y0, x1, y1 = footer
    if not (0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height):
        raise _bad(f"footer box {footer} is outside the {page.width}x{page.height} page", "footer")
    choice = font if font is not None else find_font(text)
    size = max(6, round((y1 - y0) * 0.6))
    face = _font(choice, size)
    while size > 6 and face.getlength(text) > (x1 - x0):
        size -= 1
        face = _font(choice, size)
    draw = ImageDraw.Draw(page)
    draw.line([(x0, y0), (x1 - 1, y0)], fill=160 if page.mode == "L" else (160, 160, 160), width=1)
    fill: int | tuple[int, int, int] = 70 if page.mode == "L" else (70, 70, 70)
    draw.text(((x0 + x1) / 2, (y0 + y1) / 2 + 1), text, font=face, fill=fill, anchor="mm")
    return np.asarray(page, dtype=np.uint8).copy()


def _pdf_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def to_pdf(pages: Sequence[npt.NDArray[np.uint8]], *, title: str, dpi: int = 150) -> bytes:
    """A PDF with one page per image (grayscale or RGB uint8), lossless (Flate), page size from ``dpi``."""
    if not pages:
        raise _bad("no pages to write", "pages")
    objects: list[bytes] = []
    kids = []
    for k, raw in enumerate(pages):
        image = np.ascontiguousarray(np.asarray(raw))
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise _bad(f"page {k + 1} is not a grayscale or RGB uint8 image", f"pages[{k}]")
        height, width = image.shape[:2]
        space = b"/DeviceGray" if image.ndim == 2 else b"/DeviceRGB"
        data = zlib.compress(image.tobytes(), 6)
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        n = len(objects) + 3  # objects 1 and 2 are the catalog and the page tree; 3.. the pages
        content = f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Resources << /XObject << /Im0 %d 0 R "
                       b">> >> /Contents %d 0 R >>" % (w_pt, h_pt, n + 1, n + 2))
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
                       b"/Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, space, len(data))
                       + data + b"\nendstream")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(n)
    info = len(objects) + 3
    head = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)]
    body = [*head, *objects, b"<< /Title " + _pdf_string(title) + b" /Producer (reetrace) >>"]
    return assemble(body, version="1.7", info=info)
