"""Witnesses in practice: a witness node's folder, the HTTP client, and gathering cosignatures for the log.

A witness node is another party's process: a folder holding its cosigner key (``witness.key``), the logs it
trusts (``logs.txt``, one vkey a line) and its state (``state/``, one file per log origin). It can run behind
HTTP (``reetrace witness serve``, the C2SP tlog-witness ``add-checkpoint`` endpoint) or, for the demo and tests,
be called in-process from its folder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from sqlalchemy import Engine, update

from reetrace.errors import Error, invalid
from reetrace.keyfile import read_or_create
from reetrace.log.errors import WitnessError
from reetrace.log.note import CosignatureSigner, Verifier, merge_signature_lines
from reetrace.log.witness import FileWitnessState, Witness, build_add_checkpoint_body, parse_size_response
from reetrace.storage.engine import write_transaction
from reetrace.storage.ledger import publish_checkpoint_file
from reetrace.storage.logread import LogReader
from reetrace.storage.tables import log_checkpoints

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WitnessNode:
    """A witness's folder on disk."""

    directory: Path

    @classmethod
    def init(cls, directory: Path, name: str) -> WitnessNode:
        directory.mkdir(parents=True, exist_ok=True)
        read_or_create(directory / "witness.key", lambda: CosignatureSigner.generate(name).skey)
        (directory / "logs.txt").touch()
        return cls(directory)

    @property
    def signer(self) -> CosignatureSigner:
        path = self.directory / "witness.key"
        if not path.exists():
            raise invalid(f"{self.directory} is not a witness folder (no witness.key): run `reetrace witness init`",
                          code="not_a_witness")
        return CosignatureSigner.from_skey(path.read_text(encoding="utf-8").strip())

    @property
    def vkey(self) -> str:
        return self.signer.verifier.vkey

    def trusted_logs(self) -> dict[str, Verifier]:
        path = self.directory / "logs.txt"
        logs = {}
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            if line.strip() and not line.startswith("#"):
                verifier = Verifier.from_vkey(line.strip())
                logs[verifier.name] = verifier
        return logs

    def trust(self, vkey: str) -> Verifier:
        verifier = Verifier.from_vkey(vkey)
        logs = self.trusted_logs()
        if logs.get(verifier.name) and logs[verifier.name].vkey != verifier.vkey:
            raise invalid(f"this witness already trusts another key for {verifier.name!r}", code="key_conflict")
        if verifier.name not in logs:
            with open(self.directory / "logs.txt", "a", encoding="utf-8") as out:
                out.write(verifier.vkey + "\n")
        return verifier

    def witness(self) -> Witness:
        return Witness(self.signer, self.trusted_logs(), FileWitnessState(self.directory / "state"))


class WitnessClient(Protocol):
    @property
    def name(self) -> str: ...

    def add_checkpoint(self, body: str) -> str:
        """Send an add-checkpoint body; return cosignature lines or raise WitnessError."""
        ...


@dataclass
class LocalWitness:
    node: WitnessNode

    @property
    def name(self) -> str:
        return self.node.signer.name

    def add_checkpoint(self, body: str) -> str:
        return self.node.witness().add_checkpoint(body)


@dataclass
class HttpWitness:
    url: str
    timeout: float = 10.0

    @property
    def name(self) -> str:
        return self.url

    def add_checkpoint(self, body: str) -> str:
        try:
            response = httpx.post(self.url.rstrip("/") + "/add-checkpoint", content=body.encode("utf-8"),
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise Error(f"witness {self.url} did not answer: {exc}", code="witness_unreachable",
                        http_status=502) from None
        if response.status_code == 200:
            return response.text
        if response.status_code == 409:
            raise WitnessError(f"witness {self.url} is at another size", 409,
                               current_size=parse_size_response(response.text))
        if response.status_code in WitnessError.STATUS_CODES:
            raise WitnessError(f"witness {self.url} refused: {response.text.strip()}", response.status_code)
        raise Error(f"witness {self.url} answered HTTP {response.status_code}: {response.text[:200]}",
                    code="witness_failed", http_status=502)


def client_for(target: str) -> WitnessClient:
    """A URL becomes an HTTP client; anything else is a witness folder on this machine."""
    if target.startswith(("http://", "https://")):
        return HttpWitness(target)
    return LocalWitness(WitnessNode(Path(target)))


@dataclass(frozen=True)
class CosignResult:
    size: int
    cosigned_by: list[str]
    refused: dict[str, str]
    note: str


def cosign_latest(engine: Engine, witnesses: Sequence[WitnessClient], checkpoint_file: Path | None = None,
                  guess_old_size: int = 0) -> CosignResult:
    """Ask each witness to cosign the latest checkpoint; store the cosignatures on the checkpoint row."""
    with write_transaction(engine) as conn:
        reader = LogReader(conn)
        latest = reader.latest_checkpoint()
        if latest is None:
            raise invalid("the log is empty: nothing to cosign", code="empty_log")
        note, refused, cosigned = latest.note, {}, []
        for witness in witnesses:
            try:
                lines = _add(reader, witness, latest.note, latest.size, guess_old_size)
            except Error as exc:
                refused[witness.name] = exc.message
                continue
            note = merge_signature_lines(note, lines)
            cosigned.append(witness.name)
        conn.execute(update(log_checkpoints).where(log_checkpoints.c.size == latest.size).values(note=note))
    if checkpoint_file is not None and cosigned:
        publish_checkpoint_file(checkpoint_file, latest.size, note, replace_same_size=True)
    return CosignResult(latest.size, cosigned, refused, note)


def _add(reader: LogReader, witness: WitnessClient, note: str, size: int, old: int) -> str:
    for _ in range(2):  # a 409 tells us the witness's size; one retry with the right proof
        old = min(old, size)
        proof = reader.consistency_proof(old, size) if old else []
        try:
            return witness.add_checkpoint(build_add_checkpoint_body(old, proof, note))
        except WitnessError as exc:
            if exc.http_status != 409 or exc.current_size is None or exc.current_size > size:
                raise
            old = exc.current_size
    raise Error(f"witness {witness.name} kept changing its size", code="witness_conflict", http_status=502)


class CosignPump:
    """While a server runs: every ``every`` seconds, if the log grew, ask the witnesses to cosign its checkpoint.

    Failures are logged and retried at the next tick; the pump never stops the server.
    """

    def __init__(self, engine: Engine, witnesses: Sequence[WitnessClient], checkpoint_file: Path | None,
                 every: float = 30.0) -> None:
        self.engine = engine
        self.witnesses = list(witnesses)
        self.checkpoint_file = checkpoint_file
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reetrace-cosign", daemon=True)
        self._cosigned_size = -1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def tick(self) -> CosignResult | None:
        with self.engine.connect() as conn:
            size = LogReader(conn).size()
        if size == self._cosigned_size or size == 0:
            return None
        result = cosign_latest(self.engine, self.witnesses, self.checkpoint_file, guess_old_size=0)
        if result.cosigned_by:
            self._cosigned_size = result.size
        for name, why in result.refused.items():
            log.warning("witness %s refused to cosign size %d: %s", name, result.size, why)
        return result

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.tick()
            except Exception:  # the pump must not take the server down; the next tick tries again
                log.exception("cosigning failed")
