"""A plain-text PDF (PDF 1.4, the standard Courier font, A4), enough to print a certificate; no dependency.

Characters outside Latin-1 are written as ``?`` (the standard fonts have no CJK glyphs); the JSON certificate is
the document of record, the PDF its human-readable rendering.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from reetrace.pdfwrite import assemble

WIDTH, HEIGHT, MARGIN = 595, 842, 40
FONT_SIZE, LEADING = 8, 10
CHARS_PER_LINE = 108
LINES_PER_PAGE = (HEIGHT - 2 * MARGIN) // LEADING


def _escape(line: str) -> bytes:
    data = line.encode("latin-1", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrapped(lines: Sequence[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, CHARS_PER_LINE, subsequent_indent="    ", break_long_words=True) or [""]
    return out


def text_pdf(title: str, lines: Sequence[str]) -> bytes:
    """The lines (wrapped to the page) as a PDF, the title on the first line of every page."""
    body = _wrapped(lines)
    per_page = LINES_PER_PAGE - 2
    pages = [body[i:i + per_page] for i in range(0, len(body), per_page)] or [[]]
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"]
    kids = []
    for n, page in enumerate(pages, start=1):
        stream = [b"BT", f"/F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {HEIGHT - MARGIN} Td".encode()]
        for line in [f"{title}  (page {n} of {len(pages)})", "", *page]:
            stream.append(b"(" + _escape(line) + b") Tj T*")
        stream.append(b"ET")
        content = b"\n".join(stream)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_ref = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Contents {content_ref} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    return assemble(objects)
