"""`log audit` on every backend: each kind of direct edit of the stored log is found, at the right index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert, update

from reetrace.container import Container
from reetrace.log.checkpoint import Checkpoint, sign_checkpoint
from reetrace.log.note import Signer
from reetrace.storage.audit import AuditReport, audit
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.tables import log_checkpoints
from support import logdb
from support.logdb import notes

BATCHES = [100, 150, 50, 300]
CHECKPOINTS = [100, 250, 300, 600]


def _build(container: Container) -> None:
    for n, batch in enumerate(BATCHES):
        container.ledger.record(notes(n * 1000, batch))


def _audit(container: Container, with_file: bool = True) -> AuditReport:
    with read_transaction(container.engine) as conn:
        return audit(conn, container.verifier, container.settings.latest_checkpoint_path if with_file else None)


def _stranger_note(container: Container, size: int, root: bytes) -> str:
    origin = container.settings.origin
    return sign_checkpoint(Checkpoint(origin, size, root), Signer.generate(origin))


def _forge_unsigned(container: Container) -> Callable[[Connection], None]:
    def edit(conn: Connection) -> None:
        root = LogReader(conn).checkpoint(300).root
        conn.execute(update(log_checkpoints).where(log_checkpoints.c.size == 300)
                     .values(note=_stranger_note(container, 300, root)))
    return edit


def _forge_root(conn: Connection) -> None:
    conn.execute(update(log_checkpoints).where(log_checkpoints.c.size == 300).values(root=b"\x42" * 32))


def _forge_extra_row(container: Container) -> Callable[[Connection], None]:
    def edit(conn: Connection) -> None:
        root = LogReader(conn).root(450)
        conn.execute(insert(log_checkpoints).values(size=450, root=root, note=_stranger_note(container, 450, root),
                                                    created_at=datetime.now(UTC)))
    return edit


def _forge_with_the_log_key(container: Container) -> Callable[[Connection], None]:
    """An insider holding the log key signs another root for size 300 and stores it consistently."""
    def edit(conn: Connection) -> None:
        fake = b"\x17" * 32
        note = sign_checkpoint(Checkpoint(container.settings.origin, 300, fake), container.signer)
        conn.execute(update(log_checkpoints).where(log_checkpoints.c.size == 300).values(root=fake, note=note))
    return edit


CASES: dict[str, tuple[Callable[[Container], Callable[[Connection], None]], int]] = {
    "edited entry byte": (lambda c: lambda conn: logdb.edit_entry(conn, 137), 137),
    "edited first entry": (lambda c: lambda conn: logdb.edit_entry(conn, 0, position=2), 0),
    "edited last entry": (lambda c: lambda conn: logdb.edit_entry(conn, 599), 599),
    "edited leaf hash": (lambda c: lambda conn: logdb.edit_leaf_hash(conn, 421), 421),
    "edited stored leaf node": (lambda c: lambda conn: logdb.edit_node(conn, 0, 300), 300),
    "edited node at level 3": (lambda c: lambda conn: logdb.edit_node(conn, 3, 40), 320),
    "edited node at level 8": (lambda c: lambda conn: logdb.edit_node(conn, 8, 1), 256),
    "deleted entry": (lambda c: lambda conn: logdb.delete_entry(conn, 222), 222),
    "deleted last entry": (lambda c: lambda conn: logdb.delete_entry(conn, 599), 599),
    "swapped entries": (lambda c: lambda conn: logdb.swap_entries(conn, 137, 400), 137),
    "swapped neighbours": (lambda c: lambda conn: logdb.swap_entries(conn, 512, 513), 512),
    "truncated to a checkpoint": (lambda c: lambda conn: logdb.truncate_consistently(conn, 300, CHECKPOINTS), 300),
    "forged checkpoint signature": (_forge_unsigned, 250),
    "forged checkpoint root": (lambda c: _forge_root, 250),
    "forged extra checkpoint row": (_forge_extra_row, 300),
    "checkpoint re-signed with the log key": (_forge_with_the_log_key, 250),
}


def test_a_sound_log_audits_clean(container: Container) -> None:
    _build(container)
    report = _audit(container)
    assert report.ok, report.problems
    assert report.first_bad_index is None
    assert (report.size, report.checked_entries, report.checked_checkpoints) == (600, 600, len(CHECKPOINTS))


def test_an_empty_log_audits_clean(container: Container) -> None:
    assert _audit(container).ok


@pytest.mark.parametrize("case", list(CASES))
def test_audit_names_the_first_bad_index(container: Container, case: str) -> None:
    _build(container)
    make_edit, first_bad = CASES[case]
    with write_transaction(container.engine) as conn:
        make_edit(container)(conn)
    report = _audit(container)
    assert not report.ok
    assert report.problems
    assert report.first_bad_index == first_bad, report.problems


def test_truncation_is_seen_only_through_the_checkpoint_file(container: Container) -> None:
    """The database alone, cut back consistently to size 300, looks sound: the file kept outside it catches it."""
    _build(container)
    with write_transaction(container.engine) as conn:
        logdb.truncate_consistently(conn, 300, CHECKPOINTS)
    assert _audit(container, with_file=False).ok, _audit(container, with_file=False).problems
    report = _audit(container)
    assert report.first_bad_index == 300
    assert any("truncated" in p for p in report.problems), report.problems


def test_audit_sees_tampering_after_more_appends(container: Container) -> None:
    """An edit made in the past is still found after the log has grown past it."""
    _build(container)
    logdb.tamper(container.engine, logdb.edit_entry, 42)
    container.ledger.record(notes(5000, 10))
    assert _audit(container).first_bad_index == 42
