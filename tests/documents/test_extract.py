"""Text extraction of registered files: Markdown, plain text, DOCX, XLSX; PDF and images by hash; bad files refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from spec_texts import ZH_PARAGRAPHS

from reetrace.domains.documents.extract import DOCX, XLSX, extract
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


def test_pdf_and_images_are_registered_by_hash_only() -> None:
    assert extract(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF", "spec.pdf").text is None
    png = extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "flow.png")
    assert (png.media_type, png.text) == ("image/png", None)
    assert extract(b"\xff\xd8\xff\xe0" + b"\x00" * 32, "photo.JPG").media_type == "image/jpeg"


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
    (b"%PDF-1.4\ntrailer << /Encrypt 5 0 R >>", "secret.pdf", "encrypted_document", "encrypted PDF"),
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
