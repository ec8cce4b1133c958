"""Stored list versions on every backend: an update stores parties and logs ``screening.list_loaded``; a changed
file becomes a new version; an unchanged one does not; a bad file stores nothing; replay rebuilds the versions."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from reetrace.container import Container
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.loaders import load_all
from reetrace.domains.screening.matcher import PartyIndex
from reetrace.domains.screening.tables import list_versions, parties
from reetrace.errors import Error, VerificationError
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, snapshot, stored_entries


@pytest.fixture
def folder(shared_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "lists"
    shutil.copytree(shared_dir / "lists" / "us_bis_mieu", target / "mieu")
    shutil.copytree(shared_dir / "lists" / "us_dod_1260h_chinese_military_companies", target / "dod")
    return target


def load_and_store(container: Container, folder: Path) -> list[stored.ListReport]:
    loaded, _ = load_all(folder)
    with container.unit_of_work() as (uow, _):
        return stored.store_lists(uow, loaded, "tester")


def events(container: Container) -> list[dict[str, object]]:
    out = []
    for _, entry, _ in stored_entries(container.engine):
        data = json.loads(entry)
        if data["kind"] == "screening.list_loaded":
            out.append(data["body"])
    return out


def test_update_stores_parties_and_logs_digests(container: Container, folder: Path) -> None:
    reports = load_and_store(container, folder)
    assert {(r.list_id, r.version, r.parties, r.status) for r in reports} == {
        ("us_bis_mieu", 1, 13, "new"), ("us_dod_1260h", 1, 397, "new")}
    bodies = events(container)
    assert len(bodies) == 2
    mieu = next(b for b in bodies if b["list_id"] == "us_bis_mieu")
    digest = hashlib.sha256((folder / "mieu/opensanctions/mieu.csv").read_bytes()).hexdigest()
    assert mieu["parties"] == 13 and mieu["files"] == [  # type: ignore[comparison-overlap]
        {"path": str(folder / "mieu/opensanctions/mieu.csv"), "size": 3502, "sha256": digest}]
    assert str(mieu["parties_digest"]).startswith("sha256:")
    with read_transaction(container.engine) as conn:
        assert conn.execute(select(func.count()).select_from(parties)).scalar_one() == 410
        current = stored.current_parties(conn)
        stored.verify_version(conn, "us_bis_mieu", 1)
    assert PartyIndex(current).screen("Directorate of Military Intelligence")[0].party.list_id == "us_bis_mieu"


def test_changed_file_is_a_new_version_and_unchanged_is_not(container: Container, folder: Path) -> None:
    load_and_store(container, folder)
    again = load_and_store(container, folder)
    assert {r.status for r in again} == {"unchanged"} and len(events(container)) == 2
    mieu = folder / "mieu/opensanctions/mieu.csv"
    mieu.write_text(mieu.read_text(encoding="utf-8").replace("Directorate of Military Intelligence",
                                                             "Directorate of Military Intelligence Services"),
                    encoding="utf-8")
    reports = {r.list_id: r for r in load_and_store(container, folder)}
    assert (reports["us_bis_mieu"].version, reports["us_bis_mieu"].status) == (2, "changed")
    assert reports["us_dod_1260h"].status == "unchanged"
    assert [b["version"] for b in events(container)][-1] == 2
    with read_transaction(container.engine) as conn:
        assert stored.latest_versions(conn)["us_bis_mieu"]["version"] == 2
        names = {p.name for p in stored.current_parties(conn, ["us_bis_mieu"])}
        old = {p.name for p in stored.version_parties(conn, "us_bis_mieu", 1)}
    assert "Directorate of Military Intelligence Services" in names
    assert "Directorate of Military Intelligence" in old and "Directorate of Military Intelligence" not in names


def test_bad_file_stores_nothing(container: Container, folder: Path) -> None:
    load_and_store(container, folder)
    dod = folder / "dod/opensanctions/sanctions.csv"
    lines = dod.read_text(encoding="utf-8").splitlines()
    lines[10] = "only,three,fields"
    dod.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mieu = folder / "mieu/opensanctions/mieu.csv"
    mieu.write_text(mieu.read_text(encoding="utf-8").replace("Directorate", "Direction"), encoding="utf-8")
    before, size = snapshot(container.engine), log_size(container.engine)
    with pytest.raises(Error) as exc:
        load_and_store(container, folder)
    assert exc.value.code == "bad_list_file" and f"{dod}, row 11" in str(exc.value)
    assert snapshot(container.engine) == before and log_size(container.engine) == size


def test_replay_rebuilds_versions_and_tampering_is_detected(container: Container, folder: Path) -> None:
    load_and_store(container, folder)
    with write_transaction(container.engine) as conn:
        assert replay(conn, container.kinds).differences == 0
        assert conn.execute(select(func.count()).select_from(list_versions)).scalar_one() == 2
        conn.execute(update(parties).where(parties.c.list_id == "us_bis_mieu").values(name="Someone Else"))
    with read_transaction(container.engine) as conn, pytest.raises(VerificationError) as exc:
        stored.verify_version(conn, "us_bis_mieu", 1)
    assert exc.value.code == "list_tampered"


def test_every_list_in_the_shared_folder_is_stored(container: Container, shared_dir: Path) -> None:
    """What `reetrace lists update ../shared/lists` does: every list loads and stores (record ids unique in each)."""
    reports = load_and_store(container, shared_dir / "lists")
    assert len(reports) == 13 and {r.status for r in reports} == {"new"}
    by_id = {r.list_id: r.parties for r in reports}
    assert by_id["us_bis_dpl"] == 577 and by_id["eu_sanctions"] == 8009 and by_id["us_ofac_sdn"] == 14965


def test_the_screening_index_is_built_once_per_set_of_list_versions(container: Container, folder: Path) -> None:
    load_and_store(container, folder)
    with read_transaction(container.engine) as conn:
        first = stored.party_index(conn)
        assert stored.party_index(conn) is first  # the next application reuses it
    mieu = folder / "mieu/opensanctions/mieu.csv"
    mieu.write_text(mieu.read_text(encoding="utf-8").replace("Directorate of Military Intelligence",
                                                             "Directorate of Naval Intelligence"), encoding="utf-8")
    load_and_store(container, folder)
    with read_transaction(container.engine) as conn:
        second = stored.party_index(conn)
    assert second is not first  # a changed list is a new version: a new index
    assert second.screen("Directorate of Naval Intelligence")[0].party.list_id == "us_bis_mieu"
    assert not first.screen("Directorate of Naval Intelligence", threshold=0.99)
