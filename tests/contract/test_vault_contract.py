"""The personal-data vault on every backend: commitments on the log, clear values sealed, crypto-shredding."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.registry.service import erase_subject, register_contact, register_enterprise
from reetrace.errors import Error
from reetrace.storage.audit import audit
from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import vault_subjects, vault_values
from reetrace.storage.vault import Vault
from support.logdb import enterprise, stored_entries

NAME, PHONE = "王小明 Wang Xiaoming", "+86 472 555 0101"


def _contact(container: Container) -> tuple[str, dict[str, str]]:
    with container.unit_of_work() as (uow, vault):
        register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-001"))
        subject, index = register_contact(uow, vault, "tenant-a", "tester", "ENT-001", "safety officer", NAME, PHONE)
    entry = stored_entries(container.engine)[index][1]
    return subject, json.loads(entry)["body"]


def _audit_ok(container: Container) -> None:
    with read_transaction(container.engine) as conn:
        report = audit(conn, container.verifier, container.settings.latest_checkpoint_path)
    assert report.ok, report.problems


def test_the_log_holds_commitments_and_the_vault_the_values(container: Container) -> None:
    subject, body = _contact(container)
    everything = b"".join(e for _, e, _ in stored_entries(container.engine))
    assert NAME.encode() not in everything and PHONE.encode() not in everything
    assert body["name"].startswith("hmac-sha256:") and body["phone"].startswith("hmac-sha256:")
    with container.unit_of_work() as (_, vault):
        assert vault.reveal(subject, "name") == NAME
        assert vault.reveal(subject, "phone") == PHONE
        vault.verify(subject, "name", NAME, body["name"])
        vault.verify(subject, "phone", PHONE, body["phone"])
        with pytest.raises(Error) as caught:
            vault.verify(subject, "name", "Someone Else", body["name"])
        assert caught.value.code == "commitment_mismatch"
        with pytest.raises(Error) as caught:
            vault.verify(subject, "phone", PHONE, body["name"])  # another field's commitment
        assert caught.value.code == "commitment_mismatch"
    with read_transaction(container.engine) as conn:
        ciphertexts = b"".join(bytes(c) for c in conn.execute(select(vault_values.c.ciphertext)).scalars())
    assert NAME.encode() not in ciphertexts


def test_erasure_shreds_the_data_and_the_log_still_verifies(container: Container) -> None:
    subject, body = _contact(container)
    with container.unit_of_work() as (uow, vault):
        erase_subject(uow, vault, "dpo", subject, "right to erasure")
    with container.unit_of_work() as (_, vault):
        assert vault.is_erased(subject)
        for attempt in (lambda: vault.reveal(subject, "name"),
                        lambda: vault.verify(subject, "name", NAME, body["name"]),
                        lambda: vault.commit(subject, "name", "again")):
            with pytest.raises(Error) as caught:
                attempt()
            assert caught.value.code == "subject_erased"
    with read_transaction(container.engine) as conn:
        assert conn.execute(select(vault_values).where(vault_values.c.subject_id == subject)).first() is None
        row = conn.execute(select(vault_subjects).where(vault_subjects.c.subject_id == subject)).one()
        assert row.wrapped_key is None and row.erased_at is not None
    kinds = [json.loads(e)["kind"] for _, e, _ in stored_entries(container.engine)]
    assert kinds == ["registry.enterprise.registered", "registry.contact.registered", "vault.subject.erased"]
    _audit_ok(container)


def test_other_subjects_survive_an_erasure(container: Container) -> None:
    first, _ = _contact(container)
    with container.unit_of_work() as (uow, vault):
        second, _ = register_contact(uow, vault, "tenant-a", "tester", "ENT-001", "exporter", "Li Na", None)
        erase_subject(uow, vault, "dpo", first, "left the company")
    with container.unit_of_work() as (_, vault):
        assert vault.reveal(second, "name") == "Li Na"
        with pytest.raises(Error) as caught:
            vault.reveal(second, "phone")
        assert caught.value.code == "not_found"


def test_unknown_subjects(container: Container) -> None:
    with container.unit_of_work() as (_, vault):
        for attempt in (lambda: vault.reveal("person-nobody", "name"), lambda: vault.erase("person-nobody")):
            with pytest.raises(Error) as caught:
                attempt()
            assert caught.value.code == "not_found"


def test_a_wrong_master_key_cannot_open_the_vault(container: Container) -> None:
    subject, _ = _contact(container)
    with container.unit_of_work() as (uow, _):
        with pytest.raises(Error) as caught:
            Vault(uow.conn, b"\x00" * 32).reveal(subject, "name")
        assert caught.value.code == "vault_wrong_key"


def test_commit_many_matches_commit_one_by_one(container: Container) -> None:
    subject, _ = _contact(container)
    with container.unit_of_work() as (_, vault):
        batch = vault.commit_many([(subject, "copy.a", "P-000001"), (subject, "copy.b", "P-000002"),
                                   ("fresh-subject", "copy.c", "P-000003"), (subject, "copy.a", "P-000009")])
        assert vault.reveal(subject, "copy.b") == "P-000002"
        assert vault.reveal("fresh-subject", "copy.c") == "P-000003"
        assert vault.reveal(subject, "copy.a") == "P-000009"  # the later value of a field replaces the earlier
        vault.verify(subject, "copy.b", "P-000002", batch[1])
        vault.verify("fresh-subject", "copy.c", "P-000003", batch[2])
        assert vault.commit_many([]) == []
    with container.unit_of_work() as (uow, vault):
        erase_subject(uow, vault, "dpo", subject, "right to erasure")
    with container.unit_of_work() as (_, vault), pytest.raises(Error) as caught:
        vault.commit_many([(subject, "copy.d", "P-000004")])
    assert caught.value.code == "subject_erased"
