"""Text extraction of registered files: Markdown, plain text, DOCX, XLSX, PDF; scans and images by hash; bad refused."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter
from spec_texts import EN_PARAGRAPHS, ZH_PARAGRAPHS

from reetrace.domains.documents.extract import DOCX, XLSX, extract, pdf_pages
from reetrace.domains.documents.pages import to_pdf
from reetrace.errors import Error

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(paragraphs: list[str]) -> bytes:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_markdown_and_text_with_bom_and_crlf() -> None:
    got = extract("\ufeff# 工艺规程\r\n\r\n温度35°C。\r\n".encode(), "spec.md")
    assert (got.media_type, got.text) == ("text/markdown", "# 工艺规程\n\n温度35°C。\n")
    assert extract(b"plain words here", "notes.TXT").media_type == "text/plain"


def test_docx_paragraphs_and_xlsx_cells() -> None:
    got = extract(docx_bytes(ZH_PARAGRAPHS[:2]), "spec.docx")
    assert got.media_type == DOCX and got.text == "\n".join(ZH_PARAGRAPHS[:2])
    sheet = extract(xlsx_bytes([["stage", "temperature °C"], ["extraction", 35], ["stripping", 40]]), "data.xlsx")
    assert sheet.media_type == XLSX and sheet.text == "stage\ttemperature °C\nextraction\t35\nstripping\t40"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF whose pages show the given lines in Helvetica (a real text layer)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        shown = [line.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)") for line in lines]
        ops = b"BT /F1 11 Tf 14 TL 56 780 Td " + b" ".join(b"(" + line + b") '" for line in shown) + b" ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted(pdf: bytes, password: str = "") -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SPEC_LINES = [EN_PARAGRAPHS[0][k:k + 90] for k in range(0, 360, 90)]


def test_pdf_text_layer_of_every_page() -> None:
    got = extract(text_pdf([SPEC_LINES[:2], SPEC_LINES[2:]]), "spec.pdf")
    assert got.media_type == "application/pdf" and got.note == ""
    assert got.text is not None and "solvent extraction of neodymium" in got.text
    assert got.text.index(SPEC_LINES[0][:30]) < got.text.index(SPEC_LINES[3][:30])
    assert "\n\n" in got.text  # pages are separated by a blank line


def test_a_scanned_pdf_is_registered_by_hash_with_a_note() -> None:
    scan = np.full((200, 150), 255, dtype=np.uint8)
    scan[50:60, 20:130] = 0
    got = extract(to_pdf([scan], title="scan"), "scan.pdf")
    assert got.text is None and "no text layer" in got.note


def test_pdf_pages_are_rasterised_at_the_dpi() -> None:
    pages = pdf_pages(text_pdf([SPEC_LINES, SPEC_LINES[:1]]), dpi=100)
    assert len(pages) == 2 and pages[0].dtype == np.uint8
    assert abs(pages[0].shape[0] - 1169.4) < 1 and abs(pages[0].shape[1] - 826.4) < 1  # 595x842 pt at 100 dpi
    assert pages[0].min() < 100 and np.median(pages[0]) == 255  # black text on white paper
    assert (pages[0] < 128).sum() > (pages[1] < 128).sum()  # four lines of text against one
    with pytest.raises(Error) as caught:
        pdf_pages(encrypted(text_pdf([SPEC_LINES])), filename="secret.pdf")
    assert caught.value.code == "encrypted_document"


@pytest.mark.parametrize("password", ["", "secret"])
def test_encrypted_pdfs_are_refused(password: str) -> None:
    with pytest.raises(Error) as caught:
        extract(encrypted(text_pdf([SPEC_LINES]), password), "secret.pdf")
    assert caught.value.code == "encrypted_document" and "unencrypted original" in caught.value.message


def test_corrupt_pdfs_are_refused() -> None:
    whole = text_pdf([SPEC_LINES])
    for data in (whole[: len(whole) // 3], b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF", b"%PDF-1.4\ngarbage" * 10):
        with pytest.raises(Error) as caught:
            extract(data, "broken.pdf")
        assert caught.value.code == "bad_document" and "broken.pdf" in caught.value.message


def test_images_have_no_text_layer_and_must_decode() -> None:
    from PIL import Image

    pictures = {}
    for fmt in ("PNG", "JPEG"):
        out = io.BytesIO()
        Image.new("L", (200, 100), 255).save(out, format=fmt)
        pictures[fmt] = out.getvalue()
    png = extract(pictures["PNG"], "flow.png")
    assert (png.media_type, png.text) == ("image/png", None)
    assert extract(pictures["JPEG"], "photo.JPG").media_type == "image/jpeg"
    for data, name in ((b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "flow.png"), (pictures["JPEG"][:60], "cut.jpg")):
        with pytest.raises(Error) as caught:
            extract(data, name)
        assert caught.value.code == "bad_document" and "cannot be decoded" in caught.value.message


@pytest.mark.parametrize(("data", "name", "code", "message"), [
    (b"", "empty.md", "bad_document", "empty.md is empty"),
    (b"abc", "spec.exe", "unsupported_document", "unsupported file type '.exe'"),
    (b"abc", "README", "unsupported_document", "(no suffix)"),
    ("工艺".encode("gb18030"), "gbk.txt", "bad_document", "not UTF-8"),
    (b"a\x00b", "nul.txt", "bad_document", "NUL"),
    (b"   \n\t ", "blank.md", "bad_document", "holds no text"),
    (b"PK\x03\x04 broken", "spec.docx", "bad_document", "not a valid Office file"),
    (b"not a zip at all", "data.xlsx", "bad_document", "not a valid Office file"),
    (b"GIF89a", "flow.png", "bad_document", "does not start like a image/png"),
    (b"<html>not a pdf", "spec.pdf", "bad_document", "does not start like a application/pdf"),
])
def test_bad_files_are_refused_with_the_reason(data: bytes, name: str, code: str, message: str) -> None:
    with pytest.raises(Error) as caught:
        extract(data, name)
    assert caught.value.code == code and message in caught.value.message
    assert caught.value.details[0].location == name


def test_a_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(Error, match=r"has no word/document\.xml"):
        extract(buffer.getvalue(), "fake.docx")
