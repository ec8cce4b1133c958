"""build_container(settings): the one place that wires storage, the log and the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from reetrace.domains.catalog import default_kinds
from reetrace.errors import Error
from reetrace.events import KindRegistry
from reetrace.keyfile import read_or_create
from reetrace.log.note import Signer, Verifier
from reetrace.settings import Settings
from reetrace.storage import migrate
from reetrace.storage.engine import make_engine, stop_checkpointer
from reetrace.storage.ledger import Ledger, UnitOfWork
from reetrace.storage.vault import Vault, load_master_key


@dataclass
class Container:
    settings: Settings
    engine: Engine
    kinds: KindRegistry
    ledger: Ledger
    signer: Signer
    master_key: bytes

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    @contextmanager
    def unit_of_work(self) -> Iterator[tuple[UnitOfWork, Vault]]:
        with self.ledger.unit_of_work() as uow:
            yield uow, Vault(uow.conn, self.master_key)

    def close(self) -> None:
        stop_checkpointer(self.engine)
        self.engine.dispose()


def build_container(settings: Settings, *, upgrade: bool = True) -> Container:
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings)
    if upgrade:
        migrate.upgrade(engine)
    signer = load_log_signer(settings.log_key_path, settings.origin)
    kinds = default_kinds()
    ledger = Ledger(engine, signer, settings.origin, kinds, checkpoint_file=settings.latest_checkpoint_path)
    master = load_master_key(settings.vault_key, settings.vault_key_path)
    return Container(settings, engine, kinds, ledger, signer, master)


def load_log_signer(path: Path, origin: str) -> Signer:
    """The log's Ed25519 key (C2SP signed-note private key string), created with mode 0600 on first use."""
    signer = Signer.from_skey(read_or_create(path, lambda: Signer.generate(origin).skey))
    if signer.name != origin:
        raise Error(f"the log key in {path} is for origin {signer.name!r}, but this log's origin is "
                    f"{origin!r} (REETRACE_ORIGIN)", code="origin_mismatch")
    return signer
