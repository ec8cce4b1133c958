"""A sealed cache of issued copies' codewords, so that a trace scores 100,000 copies in well under a second.

A copy's codeword is reproducible from the document's code key and the copy id (:func:`.tardos.codeword`), but
deriving it costs a SHAKE-256 stream of ``8 m`` bytes per copy: ~10 s for 100,000 copies of a c = 3 code. So the
codewords are kept as a cache, in chunks of :data:`CHUNK` copies per document version: the copy ids in issue order
and the bit-packed codeword rows, sealed with AES-256-GCM under a key derived from the document's code key (the
table alone tells nothing: codewords are secrets, since whoever knows them could forge a pirate copy that frames
an innocent). Appending a copy re-seals only the last chunk. The cache is not a projection and is derived, like
the picture index: copies missing from it (issued before it existed, or after it was dropped) are derived again
when a trace needs them, and every codeword read is checked against its copy id by the AEAD's associated data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, insert, select

from reetrace.errors import VerificationError

from . import tardos
from .tables import codewords

CHUNK = 1024
Bits = npt.NDArray[np.uint8]


def _cipher(key: bytes) -> AESGCM:
    return AESGCM(hmac.new(key, b"reetrace.documents.codewords.v1", hashlib.sha256).digest())


def _aad(document_id: str, version: int, chunk: int, ids: str) -> bytes:
    return f"{document_id}\x00{version}\x00{chunk}\x00{ids}".encode()


def _seal(cipher: AESGCM, document_id: str, version: int, chunk: int, ids: list[str], rows: Bits) -> bytes:
    nonce = os.urandom(12)
    packed = np.packbits(rows, axis=1).tobytes()
    return nonce + cipher.encrypt(nonce, packed, _aad(document_id, version, chunk, " ".join(ids)))


def _open(cipher: AESGCM, document_id: str, version: int, chunk: int, ids: list[str], sealed: bytes,
          length: int) -> Bits:
    return np.unpackbits(_open_packed(cipher, document_id, version, chunk, ids, sealed, length), axis=1)[:, :length]


def _open_packed(cipher: AESGCM, document_id: str, version: int, chunk: int, ids: list[str], sealed: bytes,
                 length: int) -> npt.NDArray[np.uint8]:
    try:
        packed = cipher.decrypt(sealed[:12], sealed[12:], _aad(document_id, version, chunk, " ".join(ids)))
    except Exception:
        raise VerificationError(f"the codeword cache of {document_id} version {version} (chunk {chunk}) fails "
                                "authentication: altered or sealed under another key", code="codewords_tampered"
                                ) from None
    width = (length + 7) // 8
    return np.frombuffer(packed, dtype=np.uint8).reshape(len(ids), width)


def append(conn: Connection, key: bytes, code: tardos.TardosCode, document_id: str, version: int,
           issued: Sequence[tuple[str, Bits]]) -> None:
    """Add issued copies' codewords (copy id, 0/1 row of length m) to the version's cache."""
    if not issued:
        return
    cipher = _cipher(key)
    last = conn.execute(select(codewords).where(codewords.c.document_id == document_id,
                                                codewords.c.version == version)
                        .order_by(codewords.c.chunk.desc()).limit(1)).first()
    ids: list[str] = []
    rows = np.zeros((0, code.length), dtype=np.uint8)
    chunk = 0
    if last is not None and int(last.size) < CHUNK:
        chunk = int(last.chunk)
        ids = str(last.copy_ids).split()
        rows = _open(cipher, document_id, version, chunk, ids, bytes(last.sealed), code.length)
        conn.execute(delete(codewords).where(codewords.c.document_id == document_id,
                                             codewords.c.version == version, codewords.c.chunk == chunk))
    elif last is not None:
        chunk = int(last.chunk) + 1
    ids = ids + [copy_id for copy_id, _ in issued]
    rows = np.concatenate([rows, np.stack([np.asarray(word, dtype=np.uint8) for _, word in issued])])
    out = []
    for start in range(0, len(ids), CHUNK):
        part_ids, part = ids[start:start + CHUNK], rows[start:start + CHUNK]
        out.append({"document_id": document_id, "version": version, "chunk": chunk, "size": len(part_ids),
                    "copy_ids": " ".join(part_ids), "sealed": _seal(cipher, document_id, version, chunk, part_ids,
                                                                    part)})
        chunk += 1
    conn.execute(insert(codewords), out)


def load(conn: Connection, key: bytes, code: tardos.TardosCode, document_id: str, version: int,
         copy_ids: Sequence[str], positions: npt.NDArray[np.intp] | None = None) -> Bits:
    """The codewords of ``copy_ids`` (rows in that order), from the cache; missing ones are derived and cached.
    With ``positions``, only those columns (bits picked from the packed rows: a trace needs only the read ones)."""
    packed = _load_packed(conn, key, code, document_id, version, copy_ids)
    if positions is None:
        return np.unpackbits(packed, axis=1)[:, :code.length]
    cols = np.asarray(positions, dtype=np.intp)
    shifts = (7 - (cols % 8)).astype(np.uint8)
    return ((packed[:, cols // 8] >> shifts) & 1).astype(np.uint8)


def cached_ids(conn: Connection, document_id: str, version: int) -> list[str]:
    """The copy ids in the version's cache, in issue order (their authenticity is checked when they are loaded)."""
    out: list[str] = []
    for ids in conn.execute(select(codewords.c.copy_ids).where(
            codewords.c.document_id == document_id, codewords.c.version == version).order_by(codewords.c.chunk)
            ).scalars():
        out += str(ids).split()
    return out


def _load_packed(conn: Connection, key: bytes, code: tardos.TardosCode, document_id: str, version: int,
                 copy_ids: Sequence[str]) -> npt.NDArray[np.uint8]:
    cipher = _cipher(key)
    found: dict[str, int] = {}
    blocks = []
    offset = 0
    for row in conn.execute(select(codewords).where(codewords.c.document_id == document_id,
                                                    codewords.c.version == version).order_by(codewords.c.chunk)):
        ids = str(row.copy_ids).split()
        blocks.append(_open_packed(cipher, document_id, version, int(row.chunk), ids, bytes(row.sealed),
                                   code.length))
        for n, copy_id in enumerate(ids):
            found[copy_id] = offset + n
        offset += len(ids)
    missing = [c for c in copy_ids if c not in found]
    if missing:
        derived = tardos.codebook(key, code, missing)
        append(conn, key, code, document_id, version, list(zip(missing, derived, strict=True)))
        for n, copy_id in enumerate(missing):
            found[copy_id] = offset + n
        blocks.append(np.packbits(derived, axis=1))
    if not blocks:
        return np.zeros((0, (code.length + 7) // 8), dtype=np.uint8)
    everything = np.concatenate(blocks)
    return everything[np.fromiter((found[c] for c in copy_ids), dtype=np.int64, count=len(copy_ids))]
