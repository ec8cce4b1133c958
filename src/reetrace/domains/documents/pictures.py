"""Picture copies and picture leaks: rendered pages of text versions, PNG/JPEG diagrams, and tracing a leaked
picture (photo, scan, screenshot, crop) or PDF back to its copies.

Masters (:func:`masters`). A text version's master pictures are its pages as :func:`.pages.render` draws them (150
dpi, A4); a PNG/JPEG version's master is the registered image itself. Both are re-derived from the content store
whenever needed, so nothing per copy is stored.

A picture copy (:func:`copy_pictures`) of copy ``X`` carries ``X``'s codeword (:func:`.tardos.codeword`) in every
layer the format allows, each read independently:

- rendered pages: line and word shifts (:mod:`.pages`, slot ``k`` → position ``k mod m``), then the image mark
  (:mod:`.imagemarks`, keyed per page) over the whole page except the footer, then the visible banner in the footer
  ("copy RT-CPY-… for P-… / device / date", deterrence; it carries no mark);
- diagrams: the image mark over the picture, carrying the first ``min(m, capacity)`` positions.

A PDF copy is the marked pages written losslessly (:func:`.pages.to_pdf`); a diagram copy is a PNG. The first time
a picture copy of a version is produced, the version's master pictures enter the picture index
(``documents_pictures``: :mod:`.imageindex` descriptors per page, keyed by the file's SHA-256): a page can only leak
as a marked picture if a picture copy of it was handed out, so only those are searched.

Tracing a picture (:func:`trace_picture`): decode it (PNG, JPEG or a PDF's pages), find which indexed page or diagram
it shows among the caller's tenants' versions (:func:`.imageindex.match`; below its inlier minimum the answer is
"not one of ours"), register it onto that master (:func:`.imagemarks.register`), read both layers, and merge them
per codeword position (a position read by both layers with different bits is erased; several pages of one leaked
PDF add their evidence). The merged symbols go through the same accusation as text (:func:`.trace.accuse_copies`):
Škorić's symmetric score, the Chernoff threshold at ε₁ per innocent copy, and the safeguards for short readings.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Row, insert, select

from reetrace.domains.personnel.models import Caller
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from . import imageindex, imagemarks, pages, tardos
from .models import TraceResult
from .registry import document_code, picture_version, version_text
from .tables import copies, documents, files, pictures, versions

Image = npt.NDArray[np.uint8]
Format = Literal["text", "pdf", "png"]
DPI = 150
MAX_PIXELS = 40_000_000
MAX_PAGES_TRIED = 8  # every page of a document this short is tried when the ranked ones do not register


@dataclass(frozen=True, eq=False)
class Masters:
    """The master pictures of one version: pages of its rendering, or the diagram itself."""

    document_id: str
    version: int
    sha256: str
    media_type: str
    text: str | None
    rendered: pages.Rendered | None  # text versions
    images: list[Image]  # one per page (a diagram: one)
    footers: list[tuple[int, int, int, int] | None]


@dataclass(frozen=True)
class CopyFile:
    data: bytes
    media_type: str
    filename: str
    sha256: str


def _bad(message: str, where: str, code: str = "bad_picture") -> Error:
    return invalid(message, Detail(message, where), code=code)


def decode_picture(data: bytes, filename: str) -> Image:
    """A PNG or JPEG as a grey or RGB array; clear errors for corrupt, huge or tiny pictures."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    if not data:
        raise _bad(f"{filename} is empty", filename)
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise _bad(f"{filename} is {picture.width}x{picture.height} px; at most {MAX_PIXELS:,} pixels are "
                           "accepted", filename)
            picture.load()
            mode = "L" if picture.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB"
            array = np.asarray(picture.convert(mode), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _bad(f"{filename} is not a readable PNG or JPEG picture ({exc}): corrupt or another format",
                   filename) from None
    return array


def _page_key(key: bytes, page: int) -> bytes:
    return hmac.new(key, f"reetrace.pictures.page.{page}".encode(), hashlib.sha256).digest()


def masters(conn: Connection, document_id: str, version: int) -> Masters:
    """The master pictures of a version (raises when it has neither text nor a picture)."""
    row, text = version_text(conn, document_id, version)
    if picture_version(row.media_type):
        content = conn.execute(select(files.c.content).where(files.c.sha256 == row.sha256)).scalar_one()
        image = decode_picture(bytes(content), row.filename)
        return Masters(document_id, version, row.sha256, row.media_type, None, None, [image], [None])
    if text is None:
        raise invalid(f"{document_id} version {version} ({row.media_type}) has no text and is not a picture: it "
                      "cannot be rendered", Detail("register a text, DOCX, XLSX, PDF with text, PNG or JPEG",
                                                   "version"), code="no_text_layer")
    rendered = pages.render(text, dpi=DPI)
    return Masters(document_id, version, row.sha256, row.media_type, text, rendered,
                   [p.image for p in rendered.pages], [p.footer for p in rendered.pages])


def ensure_indexed(conn: Connection, found: Masters) -> int:
    """Put the version's master pictures in the picture index (once); returns how many pages it holds."""
    have = {int(p) for p in conn.execute(select(pictures.c.page).where(pictures.c.sha256 == found.sha256)).scalars()}
    rows = []
    for n, image in enumerate(found.images, start=1):
        if n in have:
            continue
        desc = imageindex.describe(image, where=f"{found.document_id} v{found.version} page {n}")
        rows.append({"sha256": found.sha256, "page": n, "width": int(image.shape[1]), "height": int(image.shape[0]),
                     "descriptors": imageindex.to_bytes(desc)})
    if rows:
        conn.execute(insert(pictures), rows)
    return len(have) + len(rows)


def _copy_row(conn: Connection, caller: Caller, copy_id: str) -> Row[Any]:
    row = conn.execute(select(copies).where(copies.c.copy_id == copy_id,
                                            copies.c.tenant.in_(sorted(caller.tenants)))).first()
    if row is None:
        raise not_found(f"no copy {copy_id!r} in your tenants")
    return row


def copy_pictures(found: Masters, key: bytes, code: tardos.TardosCode, copy_id: str, banner: str) -> list[Image]:
    """The marked pictures of one copy (pages with shifts, image mark and banner; or the marked diagram)."""
    word = tardos.codeword(key, code, copy_id)
    if found.rendered is None:
        image = found.images[0]
        room = imagemarks.capacity(image.shape)
        if room < 1:
            raise _bad(f"the picture is {image.shape[1]}x{image.shape[0]} px: too small to carry a mark", "version",
                       code="picture_too_small")
        return [imagemarks.embed(image, _page_key(key, 1), word[:min(room, code.length)])]
    assert found.text is not None
    shifted = pages.render(found.text, dpi=DPI, font=found.rendered.font, shifts=word)
    out = []
    for n, page in enumerate(shifted.pages, start=1):
        room = imagemarks.capacity(page.image.shape)
        marked = imagemarks.embed(page.image, _page_key(key, n), word[:min(room, code.length)], exclude=[page.footer])
        out.append(pages.banner(marked, page.footer, f"{banner} · page {n}/{len(shifted.pages)}"))
    return out


def copy_file(uow: UnitOfWork, vault: Vault, caller: Caller, copy_id: str, fmt: str) -> CopyFile:
    """Produce an issued copy as a file: its marked text, its marked pages as a PDF, or its marked diagram (PNG).
    The first picture copy of a version puts its master pictures in the picture index."""
    conn = uow.conn
    if fmt not in ("text", "pdf", "png"):
        raise invalid(f"unknown copy format {fmt!r}: text, pdf or png", Detail("text, pdf or png", "format"))
    row = _copy_row(conn, caller, copy_id)
    version = conn.execute(select(versions).where(versions.c.document_id == row.document_id,
                                                  versions.c.version == row.version)).one()
    is_picture = picture_version(version.media_type)
    if (fmt == "text" and is_picture) or (fmt == "png" and not is_picture):
        wanted = "png" if is_picture else "text or pdf"
        raise invalid(f"{row.document_id} version {row.version} is {'a picture' if is_picture else 'a text'}: "
                      f"its copies are {wanted}", Detail(f"ask for {wanted}", "format"), code="bad_format")
    key, code = document_code(vault, row.document_id)
    base = f"{row.document_id}-v{row.version}-{copy_id}"
    if fmt == "text":
        from .registry import marked_text

        text = marked_text(conn, key, code, row.document_id, row.version, copy_id).encode("utf-8")
        suffix = ".md" if version.media_type == "text/markdown" else ".txt"
        return CopyFile(text, "text/plain; charset=utf-8", base + suffix, hashlib.sha256(text).hexdigest())
    found = masters(conn, row.document_id, row.version)
    ensure_indexed(conn, found)
    who = row.recipient
    banner = f"{copy_id} for {who} on {row.device} ({row.ip}), {row.issued_at:%Y-%m-%d}"
    images = copy_pictures(found, key, code, copy_id, banner)
    if fmt == "png":
        from PIL import Image as PILImage

        out = io.BytesIO()
        PILImage.fromarray(images[0]).save(out, format="PNG")
        data = out.getvalue()
        return CopyFile(data, "image/png", base + ".png", hashlib.sha256(data).hexdigest())
    title = conn.execute(select(documents.c.title).where(documents.c.document_id == row.document_id)).scalar_one()
    data = pages.to_pdf(images, title=f"{title} — {copy_id}", dpi=DPI)
    return CopyFile(data, "application/pdf", base + ".pdf", hashlib.sha256(data).hexdigest())


# --- tracing a picture ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PictureReading:
    document_id: str
    version: int
    pages: list[int]  # master pages the leaked pictures showed
    symbols: npt.NDArray[np.int8]  # per codeword position: 0, 1 or ERASED
    capacity: int  # positions the pictures carry
    covered: int  # positions with any evidence
    read: int
    inliers: int
    note: str


def leaked_pictures(data: bytes, filename: str) -> list[Image]:
    """The pictures of a leaked file: a PNG/JPEG, or every page of a PDF (at 150 dpi)."""
    if data[:5] == b"%PDF-" or filename.lower().endswith(".pdf"):
        from .extract import pdf_pages

        found = pdf_pages(data, DPI, filename=filename)
        if not found:
            raise _bad(f"{filename} has no pages", filename)
        return found
    image = decode_picture(data, filename)
    if min(image.shape[:2]) < imageindex.MIN_SIDE:
        raise _bad(f"{filename} is {image.shape[1]}x{image.shape[0]} px: too small to identify or to carry a mark "
                   f"(at least {imageindex.MIN_SIDE} px a side)", filename, code="picture_too_small")
    return [image]


def _candidates(conn: Connection, tenants: frozenset[str]) -> dict[tuple[str, int, int], imageindex.Descriptors]:
    query = (select(versions.c.document_id, versions.c.version, pictures.c.page, pictures.c.descriptors)
             .join(pictures, pictures.c.sha256 == versions.c.sha256)
             .join(documents, documents.c.document_id == versions.c.document_id)
             .where(documents.c.tenant.in_(sorted(tenants))))
    return {(d, int(v), int(p)): imageindex.from_bytes(bytes(blob)) for d, v, p, blob in conn.execute(query)}


def read_picture(conn: Connection, vault: Vault, caller: Caller, leaked: list[Image]) -> PictureReading | None:
    """Identify the version and pages the leaked pictures show and read their marks; None: not one of ours."""
    candidates = _candidates(conn, caller.tenants)
    located: list[tuple[list[imageindex.Match], Image]] = []
    for image in leaked:
        ranked = imageindex.match(imageindex.describe(image, where="leaked picture"), candidates)
        if ranked:
            located.append((ranked, image))
    if not located:
        return None
    first = cast(tuple[str, int, int], located[0][0][0].key)
    document_id, version = first[0], first[1]
    found = masters(conn, document_id, version)
    key, code = document_code(vault, document_id)
    m = code.length
    soft = np.zeros(m, dtype=np.float64)
    votes = np.zeros((m, 2), dtype=np.int64)
    room, notes, shown, inliers = 0, [], [], 0
    for ranked, image in located:
        # pages of one document can look alike (repeated sections): register onto each close candidate page of
        # this version and keep the one the picture correlates with best
        best_inliers = ranked[0].inliers
        options = [r for r in ranked[:3] if cast(tuple[str, int, int], r.key)[:2] == (document_id, version)
                   and r.inliers >= best_inliers / 2]
        if not options:
            continue
        pages_tried = [int(cast(tuple[str, int, int], r.key)[2]) for r in options]
        tried = [(p, imagemarks.register(found.images[p - 1], image)) for p in pages_tried]
        if not any(r.ok for _, r in tried) and len(found.images) <= MAX_PAGES_TRIED:
            # a short document whose pages share passages: the picture may show another page than the index ranked
            tried += [(p, imagemarks.register(found.images[p - 1], image))
                      for p in range(1, len(found.images) + 1) if p not in pages_tried]
        page, registration = max(tried, key=lambda t: (t[1].ok, t[1].quality))
        inliers = max(inliers, registration.inliers)
        master = found.images[page - 1]
        cap = min(imagemarks.capacity(master.shape), m)
        room = max(room, cap)
        footer = found.footers[page - 1]
        if not registration.ok:
            notes.append(f"page {page}: {registration.note}")
            continue
        shown.append(page)
        reading = imagemarks.read(master, image, _page_key(key, page), cap, registration=registration,
                                  exclude=[footer] if footer else [])
        _vote(votes, reading.bits, cap)
        soft[:cap] += np.nan_to_num(reading.soft)
        if found.rendered is not None and registration.warped is not None:
            warped = np.asarray(np.clip(np.rint(registration.warped), 0, 255), dtype=np.uint8)
            shifts = pages.read_shifts(found.rendered, page, warped, registration.mask)
            bits, _ = shifts.positions(m)
            _vote(votes, bits, m)
            room = m
            notes.append(f"page {page}: {reading.positions_read} positions from the image mark, {shifts.read} "
                         f"line/word shifts")
        else:
            notes.append(f"page {page}: {reading.positions_read} positions from the image mark")
    symbols = np.full(m, tardos.ERASED, dtype=np.int8)
    ones, zeros = votes[:, 1], votes[:, 0]
    symbols[(ones > 0) & (zeros == 0)] = 1
    symbols[(zeros > 0) & (ones == 0)] = 0
    clash = (ones > 0) & (zeros > 0)  # layers or pages disagree: the summed image evidence decides, else erased
    symbols[clash & (soft > 2.0)] = 1
    symbols[clash & (soft < -2.0)] = 0
    return PictureReading(document_id, version, shown, symbols, room, int(((ones + zeros) > 0).sum()),
                          int((symbols != tardos.ERASED).sum()), inliers, "; ".join(notes))


def _vote(votes: npt.NDArray[np.int64], bits: npt.NDArray[np.int8], length: int) -> None:
    part = np.asarray(bits[:length])
    votes[:length, 1] += part == 1
    votes[:length, 0] += part == 0


def trace_picture(uow: UnitOfWork, vault: Vault, caller: Caller, data: bytes, filename: str,
                  *, eps1: float | None = None) -> TraceResult:
    """Trace a leaked picture or PDF: identify version and pages, read the marks, score every copy; recorded."""
    from .trace import picture_result

    leaked = leaked_pictures(data, filename)
    reading = read_picture(uow.conn, vault, caller, leaked)
    return picture_result(uow, vault, caller, data, reading, eps1=eps1)
