"""The sealed codeword cache: the same rows as deriving them, across chunk boundaries, missing ones derived again,
and a tampered chunk refused."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, update

from reetrace.container import Container
from reetrace.domains.documents import codewords, tardos
from reetrace.domains.documents.tables import codewords as table
from reetrace.errors import Error
from reetrace.storage.engine import write_transaction

KEY = bytes(range(32))
DOC = "RT-DOC-2026-000001"


def test_cache_equals_derivation_across_chunks(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codewords, "CHUNK", 4)
    code = tardos.generate_code(KEY, DOC, length=50)
    ids = [f"RT-CPY-{n:016X}" for n in range(11)]
    expected = tardos.codebook(KEY, code, ids)
    with write_transaction(container.engine) as conn:
        codewords.append(conn, KEY, code, DOC, 1, list(zip(ids[:3], expected[:3], strict=True)))
        codewords.append(conn, KEY, code, DOC, 1, list(zip(ids[3:9], expected[3:9], strict=True)))
        chunks = conn.execute(select(table.c.chunk, table.c.size).order_by(table.c.chunk)).all()
        assert [tuple(c) for c in chunks] == [(0, 4), (1, 4), (2, 1)]
        order = [ids[n] for n in (8, 0, 5, 10, 9, 2)]  # 9 and 10 are not cached yet: derived and cached
        got = codewords.load(conn, KEY, code, DOC, 1, order)
        assert np.array_equal(got, expected[[8, 0, 5, 10, 9, 2]])
        assert sum(size for _, size in conn.execute(select(table.c.chunk, table.c.size))) == 11
        assert codewords.load(conn, KEY, code, DOC, 2, []).shape == (0, 50)
        some = np.array([0, 7, 8, 13, 49])  # only some columns, picked from the packed rows
        assert np.array_equal(codewords.load(conn, KEY, code, DOC, 1, order, positions=some),
                              expected[[8, 0, 5, 10, 9, 2]][:, some])
        stored = b"".join(conn.execute(select(table.c.sealed)).scalars())
        assert np.packbits(expected[0]).tobytes() not in stored  # sealed, not in clear


def test_a_tampered_or_misfiled_chunk_is_refused(container: Container) -> None:
    code = tardos.generate_code(KEY, DOC, length=40)
    ids = ["RT-CPY-00000000000000AA", "RT-CPY-00000000000000BB"]
    with write_transaction(container.engine) as conn:
        codewords.append(conn, KEY, code, DOC, 1, list(zip(ids, tardos.codebook(KEY, code, ids), strict=True)))
        conn.execute(update(table).values(copy_ids=" ".join(reversed(ids))))  # swap whose codeword is whose
        with pytest.raises(Error) as caught:
            codewords.load(conn, KEY, code, DOC, 1, ids)
        assert caught.value.code == "codewords_tampered"
        with pytest.raises(Error):
            codewords.load(conn, bytes(32), code, DOC, 1, ids)  # another key
