"""What a registered file is and which text it holds.

Markdown and plain text (UTF-8, with or without a BOM) and DOCX (the paragraphs of ``word/document.xml``, read with
the standard library) and XLSX (cell values row by row, with openpyxl) and PDF (the text layer of every page, with
pypdf) give text. An encrypted PDF is refused (``encrypted_document``: register the unencrypted original), a damaged
one too; a PDF without a text layer (a scan) is registered by hash with a note saying so. PNG and JPEG are checked by
their signature and registered by hash only (images carry no text layer). Anything else, or a file whose content does
not match its name, is refused with the reason. :func:`pdf_pages` rasterises a PDF's pages (pypdfium2, which bundles
PDFium) so that a registered PDF can carry page marks and be matched as pictures.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from xml.etree import ElementTree

import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

from .models import MediaType

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_BYTES = 50 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BY_SUFFIX: dict[str, str] = {
    ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain", ".text": "text/plain",
    ".docx": DOCX, ".xlsx": XLSX, ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


@dataclass(frozen=True)
class Extracted:
    media_type: MediaType
    text: str | None  # None: registered by hash only
    note: str = ""  # e.g. why a PDF has no text


def _bad(message: str, filename: str, code: str = "bad_document") -> Error:
    return invalid(message, Detail(message, filename), code=code)


def media_type_of(filename: str) -> str:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    media = _BY_SUFFIX.get(suffix)
    if media is None:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise _bad(f"{filename}: unsupported file type {suffix or '(no suffix)'!r}; supported: {known}", filename,
                   code="unsupported_document")
    return media


def extract(data: bytes, filename: str) -> Extracted:
    """The media type (from the name, checked against the content) and the text of a registered file."""
    if not data:
        raise _bad(f"{filename} is empty", filename)
    if len(data) > MAX_BYTES:
        raise _bad(f"{filename} is {len(data):,} bytes; at most {MAX_BYTES:,} are accepted", filename)
    media = media_type_of(filename)
    text: str | None
    if media in ("text/markdown", "text/plain"):
        text = _utf8(data, filename)
    elif media == DOCX:
        text = _docx(data, filename)
    elif media == XLSX:
        text = _xlsx(data, filename)
    elif media == "application/pdf":
        _check_signature(data, filename, media)
        text = _pdf(data, filename)
        if text is None:
            note = "no text layer (a scanned or image-only PDF): registered by hash; excerpts cannot be identified"
            return Extracted("application/pdf", None, note)
    else:
        _check_signature(data, filename, media)
        text = None
    if text is not None and not text.strip():
        raise _bad(f"{filename} holds no text", filename)
    return Extracted(cast(MediaType, media), text)


def _utf8(data: bytes, filename: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(f"{filename} is not UTF-8 text (byte {exc.start}: {exc.reason}); convert it to UTF-8 first",
                   filename) from None
    if "\x00" in text:
        raise _bad(f"{filename} contains NUL characters: not a text file", filename)
    return text.replace("\r\n", "\n")


def _zip(data: bytes, filename: str, member: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _bad(f"{filename} is not a valid Office file (not a ZIP archive): corrupt or mislabelled",
                   filename) from None
    if member not in archive.namelist():
        raise _bad(f"{filename} has no {member}: corrupt, encrypted or not this format", filename)
    return archive


def _docx(data: bytes, filename: str) -> str:
    with _zip(data, filename, "word/document.xml") as archive:
        try:
            root = ElementTree.fromstring(archive.read("word/document.xml"))
        except (ElementTree.ParseError, zipfile.BadZipFile, RuntimeError) as exc:
            raise _bad(f"{filename}: word/document.xml cannot be read: {exc}", filename) from None
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _xlsx(data: bytes, filename: str) -> str:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # openpyxl ships no stubs

    _zip(data, filename, "xl/workbook.xml").close()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged workbooks
        raise _bad(f"{filename} cannot be read as a workbook: {exc}", filename) from None
    lines = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else str(v) for v in row]
            if any(cells):
                lines.append("\t".join(cells).rstrip("\t"))
    book.close()
    return "\n".join(lines)


_SIGNATURES = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


def _check_signature(data: bytes, filename: str, media: str) -> None:
    if not data.startswith(_SIGNATURES[media]):
        raise _bad(f"{filename} does not start like a {media} file: corrupt or mislabelled", filename)
    if media in ("image/png", "image/jpeg"):
        _check_picture(data, filename)


def _check_picture(data: bytes, filename: str) -> None:
    """A PNG or JPEG must decode whole (a truncated or damaged picture is refused, not stored)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _bad(f"{filename} cannot be decoded as a picture ({exc}): corrupt or truncated", filename) from None


def _pdf_reader(data: bytes, filename: str) -> PdfReader:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        count = len(reader.pages) if not encrypted else 0
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise _bad(f"{filename} cannot be read as a PDF ({type(exc).__name__}: {exc}): corrupt or truncated",
                   filename) from None
    if encrypted:
        raise _bad(f"{filename} is an encrypted PDF: register the unencrypted original", filename,
                   code="encrypted_document")
    if count == 0:
        raise _bad(f"{filename} is a PDF without pages", filename)
    return reader


def _pdf(data: bytes, filename: str) -> str | None:
    """The text layer, pages separated by a blank line; None when no page has text."""
    reader = _pdf_reader(data, filename)
    texts = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text().replace("\r\n", "\n").strip())
        except Exception as exc:  # a damaged content stream
            raise _bad(f"{filename}: page {number} cannot be read ({type(exc).__name__}: {exc})", filename) from None
    text = "\n\n".join(t for t in texts if t)
    return text if text.strip() else None


def pdf_pages(data: bytes, dpi: int = 150, *, filename: str = "document.pdf") -> list[npt.NDArray[np.uint8]]:
    """Every page of a PDF as a grayscale uint8 image at ``dpi`` (white paper 255)."""
    import pypdfium2

    if not 36 <= dpi <= 600:
        raise _bad(f"dpi {dpi} is outside 36..600", filename)
    _check_signature(data, filename, "application/pdf")
    _pdf_reader(data, filename)  # the same refusals as registration: encrypted, damaged, empty
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:
        raise _bad(f"{filename} cannot be rendered ({exc})", filename) from None
    images = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = (round(side * dpi / 72) for side in page.get_size())
            array = np.asarray(page.render(scale=dpi / 72, grayscale=True).to_numpy(), dtype=np.uint8)
            array = array[:, :, 0] if array.ndim == 3 else array
            images.append(array[:height, :width].copy())  # PDFium rounds up: 1240.0000001 px would give 1241
    finally:
        document.close()
    return images
