"""The personal-data vault: clear values encrypted at rest, keyed commitments on the log, crypto-shredding.

Each subject (a person) gets a random 256-bit data key, stored wrapped (AES-256-GCM) under the master key.
A personal field is stored as AES-256-GCM ciphertext under the subject's key, and what goes into a log event is
``hmac-sha256:<hex>`` of the value under the same key. Erasing a subject deletes the key and the ciphertexts:
the log is untouched and still verifies, and the commitments can no longer be linked to a value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from reetrace.errors import Error, VerificationError, not_found
from reetrace.keyfile import read_or_create
from reetrace.storage.tables import vault_subjects, vault_values

COMMITMENT_PREFIX = "hmac-sha256:"
BLIND_INDEX_HEX = 32  # 128 bits: collisions are negligible, and the index says less than a full HMAC


class SubjectErased(Error):
    def __init__(self, subject_id: str) -> None:
        super().__init__(f"the personal data of subject {subject_id!r} was erased", code="subject_erased",
                         http_status=410)


def load_master_key(env_value: str | None, key_file: Path) -> bytes:
    """The master key from ``REETRACE_VAULT_KEY`` (base64 of 32 bytes) or a key file made with mode 0600."""
    if env_value:
        try:
            key = base64.b64decode(env_value, validate=True)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise Error("REETRACE_VAULT_KEY must be the base64 of exactly 32 bytes", code="bad_vault_key")
        return key
    return _read_or_create_key_file(key_file)


def _read_or_create_key_file(path: Path) -> bytes:
    text = read_or_create(path, lambda: base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise Error(f"vault key file {path} does not hold a base64 32-byte key", code="bad_vault_key")
    return key


class Vault:
    """Seal, reveal and erase personal fields inside the caller's transaction."""

    def __init__(self, conn: Connection, master_key: bytes) -> None:
        self.conn = conn
        self._master = AESGCM(master_key)
        self._blind_root = hmac.new(master_key, b"reetrace-blind-index", hashlib.sha256).digest()
        self._blind_keys: dict[str, hmac.HMAC] = {}

    def blind_index(self, field: str, value: str) -> str:
        """A keyed, deterministic index of ``value`` (HMAC-SHA256 under a key derived from the master key for
        ``field``), to find equal values — a duplicate resident id, a name key — without decrypting anything.

        Unlike a commitment it is the same for every subject, so it links records holding the same value; it
        survives crypto-shredding of a subject (whoever holds the master key can still test a guessed value).
        """
        keyed = self._blind_keys.get(field)
        if keyed is None:  # keyed once per field; each index copies the keyed state (much faster than hmac.new)
            key = hmac.new(self._blind_root, field.encode("utf-8"), hashlib.sha256).digest()
            keyed = self._blind_keys[field] = hmac.new(key, digestmod=hashlib.sha256)
        mac = keyed.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()[:BLIND_INDEX_HEX]

    def commit_new_subjects(self, subjects: Sequence[tuple[str, Mapping[str, str]]]) -> list[dict[str, str]]:
        """Create subjects and seal their fields in two batched inserts (bulk imports); returns the commitments.

        Each subject must be new; an existing one fails the insert (the caller's transaction then rolls back).
        """
        now = datetime.now(UTC)
        subject_rows: list[dict[str, object]] = []
        value_rows: list[tuple[str, str, bytes, bytes]] = []
        out: list[dict[str, str]] = []
        count = len(subjects) + sum(len(values) for _, values in subjects)
        nonces = os.urandom(12 * count)  # one call for every nonce of the batch
        n = 0
        for subject_id, values in subjects:
            key = AESGCM.generate_key(bit_length=256)
            nonce, n = nonces[n:n + 12], n + 12
            wrapped = nonce + self._master.encrypt(nonce, key, b"reetrace-subject-key:" + subject_id.encode())
            subject_rows.append({"subject_id": subject_id, "wrapped_key": wrapped, "created_at": now})
            cipher = AESGCM(key)
            keyed = hmac.new(key, digestmod=hashlib.sha256)
            commitments = {}
            for field, value in values.items():
                nonce, n = nonces[n:n + 12], n + 12
                data = value.encode("utf-8")
                value_rows.append((subject_id, field, nonce, cipher.encrypt(nonce, data, _aad(subject_id, field))))
                mac = keyed.copy()
                mac.update(field.encode("utf-8") + b"\x00" + data)
                commitments[field] = COMMITMENT_PREFIX + mac.hexdigest()  # what _commitment computes
            out.append(commitments)
        if subject_rows:
            self.conn.execute(insert(vault_subjects), subject_rows)
        if value_rows:
            if self.conn.dialect.name in ("sqlite", "postgresql"):  # plain values: the driver's executemany
                mark = "?" if self.conn.dialect.name == "sqlite" else "%s"
                self.conn.exec_driver_sql(f"INSERT INTO vault_values (subject_id, field, nonce, ciphertext) VALUES "
                                          f"({mark}, {mark}, {mark}, {mark})", value_rows)
            else:
                self.conn.execute(insert(vault_values), [dict(zip(("subject_id", "field", "nonce", "ciphertext"), r,
                                                                  strict=True)) for r in value_rows])
        return out

    def commit(self, subject_id: str, field: str, value: str) -> str:
        """Store ``value`` encrypted and return its keyed commitment, the only form that enters the log."""
        key = self._subject_key(subject_id, create=True)
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, value.encode("utf-8"), _aad(subject_id, field))
        self.conn.execute(delete(vault_values).where(vault_values.c.subject_id == subject_id,
                                                     vault_values.c.field == field))
        self.conn.execute(insert(vault_values).values(subject_id=subject_id, field=field, nonce=nonce,
                                                      ciphertext=ciphertext))
        return _commitment(key, field, value)

    def commit_many(self, items: Sequence[tuple[str, str, str]]) -> list[str]:
        """:meth:`commit` for many (subject, field, value) triples: keys loaded in one query, values replaced in two
        batched statements; returns the commitments in order. An erased subject raises :class:`SubjectErased`."""
        if not items:
            return []
        wanted = sorted({subject for subject, _, _ in items})
        keys: dict[str, bytes] = {}
        for start in range(0, len(wanted), 500):
            rows = self.conn.execute(select(vault_subjects.c.subject_id, vault_subjects.c.wrapped_key).where(
                vault_subjects.c.subject_id.in_(wanted[start:start + 500])))
            for subject_id, wrapped in rows:
                if wrapped is None:
                    raise SubjectErased(subject_id)
                keys[subject_id] = self._unwrap(subject_id, bytes(wrapped))
        for subject_id in wanted:
            if subject_id not in keys:
                keys[subject_id] = self._subject_key(subject_id, create=True)
        nonces = os.urandom(12 * len(items))
        latest: dict[tuple[str, str], dict[str, object]] = {}  # a field given twice keeps its later value
        out = []
        for n, (subject_id, field, value) in enumerate(items):
            key, nonce = keys[subject_id], nonces[12 * n:12 * n + 12]
            latest[(subject_id, field)] = {
                "subject_id": subject_id, "field": field, "nonce": nonce,
                "ciphertext": AESGCM(key).encrypt(nonce, value.encode("utf-8"), _aad(subject_id, field))}
            out.append(_commitment(key, field, value))
        rows_out = list(latest.values())
        self.conn.execute(delete(vault_values).where(vault_values.c.subject_id == bindparam("s"),
                                                     vault_values.c.field == bindparam("f")),
                          [{"s": r["subject_id"], "f": r["field"]} for r in rows_out])
        self.conn.execute(insert(vault_values), rows_out)
        return out

    def reveal(self, subject_id: str, field: str) -> str:
        key = self._subject_key(subject_id, create=False)
        row = self.conn.execute(
            select(vault_values.c.nonce, vault_values.c.ciphertext).where(
                vault_values.c.subject_id == subject_id, vault_values.c.field == field)
        ).one_or_none()
        if row is None:
            raise not_found(f"subject {subject_id!r} has no field {field!r} in the vault")
        try:
            return AESGCM(key).decrypt(row.nonce, row.ciphertext, _aad(subject_id, field)).decode("utf-8")
        except InvalidTag:
            raise VerificationError(f"vault value {subject_id}/{field} fails authentication: altered or "
                                    "stored under another key", code="vault_tampered") from None

    def verify(self, subject_id: str, field: str, value: str, commitment: str) -> None:
        """Check that ``commitment`` (from a log entry) commits to ``value``; raises otherwise."""
        expected = _commitment(self._subject_key(subject_id, create=False), field, value)
        if not hmac.compare_digest(expected, commitment):
            raise VerificationError(f"commitment mismatch for {subject_id}/{field}: the log has {commitment}, "
                                    f"the value gives {expected}", code="commitment_mismatch")

    def erase(self, subject_id: str) -> None:
        """Crypto-shred a subject: the key and every ciphertext go; the log keeps only unlinkable HMACs."""
        found = self.conn.execute(
            update(vault_subjects).where(vault_subjects.c.subject_id == subject_id)
            .values(wrapped_key=None, erased_at=datetime.now(UTC))
        ).rowcount
        if not found:
            raise not_found(f"no subject {subject_id!r} in the vault")
        self.conn.execute(delete(vault_values).where(vault_values.c.subject_id == subject_id))

    def is_erased(self, subject_id: str) -> bool:
        row = self.conn.execute(select(vault_subjects.c.erased_at).where(
            vault_subjects.c.subject_id == subject_id)).one_or_none()
        return row is not None and row.erased_at is not None

    def _subject_key(self, subject_id: str, *, create: bool) -> bytes:
        row = self.conn.execute(select(vault_subjects.c.wrapped_key, vault_subjects.c.erased_at).where(
            vault_subjects.c.subject_id == subject_id)).one_or_none()
        if row is not None:
            if row.wrapped_key is None:
                raise SubjectErased(subject_id)
            return self._unwrap(subject_id, bytes(row.wrapped_key))
        if not create:
            raise not_found(f"no subject {subject_id!r} in the vault")
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        wrapped = nonce + self._master.encrypt(nonce, key, b"reetrace-subject-key:" + subject_id.encode())
        self.conn.execute(insert(vault_subjects).values(subject_id=subject_id, wrapped_key=wrapped,
                                                        created_at=datetime.now(UTC)))
        return key

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(wrapped[:12], wrapped[12:], b"reetrace-subject-key:" + subject_id.encode())
        except InvalidTag:
            raise VerificationError(f"the vault key of subject {subject_id!r} does not open with this master "
                                    "key (wrong REETRACE_VAULT_KEY?)", code="vault_wrong_key") from None


def _aad(subject_id: str, field: str) -> bytes:
    return f"reetrace-vault:{subject_id}:{field}".encode()


def _commitment(key: bytes, field: str, value: str) -> str:
    mac = hmac.new(key, field.encode("utf-8") + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return COMMITMENT_PREFIX + mac.hexdigest()
