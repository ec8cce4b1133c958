"""The body, cross-reference table and trailer of a small PDF: shared by the certificate PDFs
(:mod:`reetrace.domains.flow.pdf`) and the page-image PDFs of document copies (:mod:`reetrace.domains.documents.pages`).
"""

from __future__ import annotations

from collections.abc import Sequence


def assemble(objects: Sequence[bytes], *, version: str = "1.4", info: int | None = None) -> bytes:
    """Objects 1..n (object 1 the catalog) written with their offsets; ``info`` names the document-info object."""
    out = bytearray(b"%PDF-" + version.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    extra = b"" if info is None else b" /Info %d 0 R" % info
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, extra, xref)
    return bytes(out)
